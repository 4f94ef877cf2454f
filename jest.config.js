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
  testTimeout: 30000,
  reporters: ['default', '<rootDir>/test/support/summary-reporter.js'],
};
