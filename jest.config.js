/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test', '<rootDir>/config', '<rootDir>/src', '<rootDir>/storage', '<rootDir>/workers'],
  testMatch: ['**/*.test.ts'],
  transform: {
    // Type checking is `npm run typecheck`, once for the whole tree; per-file transpiling keeps workers fast.
    '^.+\\.ts$': ['ts-jest', { diagnostics: false }],
  },
  globalSetup: '<rootDir>/test/support/global-setup.ts',
  maxWorkers: 2,
  // A worker keeps some of every test file it ran (module registries, ts-jest's output): replaced once its live
  // heap passes this after a file, so late files do not run in a half-gigabyte process.
  workerIdleMemoryLimit: '512MB',
  testTimeout: 30000,
  reporters: ['default', '<rootDir>/test/support/summary-reporter.js'],
};
