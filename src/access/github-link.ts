import type { Person } from '../../libs/people';

/** A Discord member's GitHub account, as an admin linked it. */
export interface GithubLink {
  memberId: string;
  /** The member's display name when the link was made. */
  memberName: string;
  /** As the admin typed it, for display. */
  login: string;
  /** Lowercased: GitHub logins compare case-insensitively. */
  loginKey: string;
  linkedBy: Person;
  linkedAt: Date;
}

/** GitHub's rule for a user login: 1–39 letters, digits or single hyphens, no hyphen at either end. */
export const GITHUB_LOGIN = /^[a-z\d](?:[a-z\d]|-(?=[a-z\d])){0,38}$/i;

/** A GitHub App's account (`dependabot[bot]`): never a person. */
export const GITHUB_BOT_LOGIN = /\[bot\]$/i;

export function loginKeyOf(login: string): string {
  return login.trim().toLowerCase();
}
