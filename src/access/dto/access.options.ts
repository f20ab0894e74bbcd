import { Role, User } from 'discord.js';
import { RoleOption, StringOption, UserOption } from 'necord';

export class GrantOptions {
  @RoleOption({ name: 'role', description: 'The Discord role to grant to', required: true })
  role!: Role;

  @StringOption({
    name: 'level',
    description: 'What the role may do',
    required: true,
    choices: [
      { name: 'admin: approve, manage services and access, deploy', value: 'admin' },
      { name: 'deployer: deploy and roll back', value: 'deployer' },
    ],
  })
  level!: 'admin' | 'deployer';

  @StringOption({
    name: 'envs',
    description: 'Only these environments, comma-separated (default: every environment)',
    required: false,
    max_length: 300,
  })
  envs?: string;
}

export class RevokeOptions {
  @RoleOption({
    name: 'role',
    description: 'The Discord role whose grant is removed',
    required: true,
  })
  role!: Role;
}

export class LinkOptions {
  @UserOption({ name: 'member', description: 'The Discord member', required: true })
  member!: User;

  @StringOption({
    name: 'login',
    description: "The member's own GitHub login (not a bot)",
    required: true,
    max_length: 100,
  })
  login!: string;
}

export class UnlinkOptions {
  @UserOption({
    name: 'member',
    description: 'The Discord member whose GitHub link is removed',
    required: true,
  })
  member!: User;
}
