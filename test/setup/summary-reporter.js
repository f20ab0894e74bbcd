// @ts-check
'use strict';

/** Ends the run with one plain line: "tests: N passed, N failed, N skipped". */
class SummaryReporter {
  /** @param {unknown} _globalConfig @param {unknown} _options */
  constructor(_globalConfig, _options) {}

  /** @param {unknown} _contexts @param {{ numPassedTests: number; numFailedTests: number; numPendingTests: number; numTodoTests: number }} results */
  onRunComplete(_contexts, results) {
    const skipped = results.numPendingTests + results.numTodoTests;
    process.stdout.write(
      `\ntests: ${results.numPassedTests} passed, ${results.numFailedTests} failed, ${skipped} skipped\n`,
    );
  }
}

module.exports = SummaryReporter;
