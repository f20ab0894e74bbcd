import { aGrant, largest } from '../../test/support/factories';
import { limitProblems } from '../discord/limits';
import { accessListMessage, linkedMessage } from './access.views';
import { GithubLink } from './github-link';

const aLink = (i: number, overrides: Partial<GithubLink> = {}): GithubLink => ({
  memberId: String(100000000000000000 + i),
  memberName: largest.person,
  login: `${'g'.repeat(33)}-${String(i).padStart(5, '0')}`,
  loginKey: `${'g'.repeat(33)}-${String(i).padStart(5, '0')}`,
  linkedBy: { id: '1', name: 'alice' },
  linkedAt: new Date(),
  ...overrides,
});
const configured = { adminRoleIds: ['111111111111111111'], deployerRoleIds: [] };

describe('/access list with linked GitHub accounts', () => {
  it('shows members by escaped name, never as a mention', () => {
    const content = accessListMessage({
      ...configured,
      grants: [],
      links: [aLink(1, { memberName: '@everyone *boss*', login: 'Boss-GH' })],
    });
    expect(content).toContain(
      '**Linked GitHub accounts** (1)\n• \\@\\@everyone \\*boss\\* ↔ Boss-GH',
    );
    expect(content).not.toMatch(/<@!?\d/);
    expect(linkedMessage(aLink(2, { memberName: 'dana', login: 'Dana-GH' }))).toBe(
      '\\@dana is now linked to GitHub account **Dana-GH**.',
    );
  });

  it('fits 100 grants and 100 links, each list saying how many it left out', () => {
    const content = accessListMessage({
      ...configured,
      grants: Array.from({ length: 100 }, (_, i) =>
        aGrant({ roleName: largest.name(`role ${i} `), environments: largest.environments }),
      ),
      links: Array.from({ length: 100 }, (_, i) => aLink(i)),
    });
    expect(limitProblems({ content })).toEqual([]);
    expect(content).toMatch(/… and \d+ more grants \(revoke unused ones with \/access revoke\)\n/);
    expect(content).toMatch(/… and \d+ more links \(unlink unused ones with \/access unlink\)$/);
  });

  it('leaves the links the room the grants do not need', () => {
    const content = accessListMessage({
      ...configured,
      grants: [aGrant()],
      links: Array.from({ length: 30 }, (_, i) => aLink(i)),
    });
    // More than half the message: a link line is about 90 characters.
    expect(content.split('\n').filter((line) => line.includes(' ↔ ')).length).toBeGreaterThan(10);
    expect(content).toMatch(/… and \d+ more links/);
    expect(limitProblems({ content })).toEqual([]);
  });
});
