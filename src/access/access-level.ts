export type AccessLevel = 'admin' | 'deployer';

/** What one role may do: a level, for every environment or only the listed ones. */
export interface Grant {
  roleId: string;
  roleName: string;
  level: AccessLevel;
  /** Empty: every environment. */
  environments: string[];
  grantedBy: { id: string; name: string };
  grantedAt: Date;
}
