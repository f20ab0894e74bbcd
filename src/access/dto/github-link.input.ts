import { IsString, Matches } from 'class-validator';
import { GITHUB_BOT_LOGIN, GITHUB_LOGIN } from '../github-link';

/** The login `/access link` was given: a person's GitHub account, by GitHub's own rule. */
export class GithubLinkInput {
  @IsString()
  @Matches(GITHUB_LOGIN, {
    message: ({ value }) =>
      GITHUB_BOT_LOGIN.test(String(value))
        ? 'a GitHub App ([bot]) is not a person: link a member to their own GitHub account'
        : 'a GitHub login is 1–39 letters, digits or single hyphens, not starting or ending with a hyphen',
  })
  login!: string;
}
