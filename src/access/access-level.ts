export type AccessLevel = 'admin' | 'deployer';

/** What one role may do: a level, for every environment or only the listed ones. */
export interface Grant {
  /** The server the grant was made in: only grants of the home server count. */
  guildId: string;
  roleId: string;
  roleName: string;
  level: AccessLevel;
  /** Empty: every environment. */
  environments: string[];
  grantedBy: { id: string; name: string };
  grantedAt: Date;
}
