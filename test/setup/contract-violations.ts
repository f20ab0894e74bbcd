import { checkContracts, takeViolations } from '../support/contracts/violations';

/**
 * A request the bot sent that GitHub's or Discord's API description does not allow (an unknown
 * route, a query parameter or a body field that violates its schema) fails the test that made
 * it, naming the route and the schema path.
 */
checkContracts();

afterEach(() => {
  const violations = takeViolations();
  if (violations.length)
    throw new Error(
      `Requests that break the API descriptions:\n${[...new Set(violations)].map((v) => `  - ${v}`).join('\n')}`,
    );
});
