'use strict';

const fs = require('node:fs');

/**
 * Jest reporter that ends the output with one plain line that CI reads:
 *
 *   tests: N passed, N failed            (", N skipped" is added only when tests were skipped)
 *
 * A test file that could not run at all (it failed to load or threw outside a test) has no failed test of
 * its own, so each such file counts as one failed test: a run with a broken file never reads "0 failed".
 * The line is written when the Jest process exits, after everything else Jest prints.
 */
class SummaryReporter {
  /**
   * @param {import('@jest/types').Config.GlobalConfig} [globalConfig]
   * @param {Record<string, unknown>} [options]
   */
  constructor(globalConfig, options) {
    this.globalConfig = globalConfig;
    this.options = options || {};
  }

  /**
   * @param {Set<unknown>} _contexts
   * @param {import('@jest/test-result').AggregatedResult} results
   */
  onRunComplete(_contexts, results) {
    // Jest adds its own summary reporter after every configured one, and a global teardown or the
    // "Jest did not exit" warning may print later still: write the line when the process exits, so that
    // it is the last one. fs.writeSync to fd 1 is synchronous, as an exit handler needs.
    this.summary = SummaryReporter.line(results);
    if (!this.registered) {
      this.registered = true;
      process.once('exit', () => writeAll(1, `\n${this.summary}\n`));
    }
  }

  /** The summary line for a Jest AggregatedResult (exposed for tests). */
  static line(results) {
    const count = (n) => (Number.isFinite(n) && n > 0 ? Math.trunc(n) : 0);
    const passed = count(results.numPassedTests);
    const failed = count(results.numFailedTests) + count(results.numRuntimeErrorTestSuites);
    const skipped = count(results.numPendingTests);
    return `tests: ${passed} passed, ${failed} failed${skipped > 0 ? `, ${skipped} skipped` : ''}`;
  }
}

/** Writes all of text to fd, waiting out EAGAIN should the descriptor be a non-blocking pipe. */
function writeAll(fd, text) {
  let buffer = Buffer.from(text, 'utf8');
  for (let tries = 0; buffer.length > 0 && tries < 1000; ) {
    try {
      buffer = buffer.subarray(fs.writeSync(fd, buffer));
    } catch (error) {
      if (error.code !== 'EAGAIN') throw error;
      tries += 1;
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 5);
    }
  }
}

module.exports = SummaryReporter;
