import { runCli } from './run';

// The operator's command line (`npm run cli -- help`): output on stdout, errors on stderr, the exit status says how it went.
void runCli(process.argv.slice(2), {
  env: process.env,
  out: (line) => console.log(line),
  err: (line) => console.error(line),
}).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    console.error(err);
    process.exitCode = 1;
  },
);
