import mongoose, { Connection, Model } from 'mongoose';
import { testDatabaseUri } from '../../test/support/database';
import { GithubLink, loginKeyOf } from './github-link';
import { GithubLinkRepository } from './github-link.repository';
import { GithubLinkDocument, GithubLinkSchema } from './github-link.schema';

let serial = 0;
/** A member of their own for each test: ids and logins never collide between tests. */
function aLink(overrides: Partial<GithubLink> = {}): GithubLink {
  serial += 1;
  const login = overrides.login ?? `Member-${serial}`;
  return {
    memberId: `9000000000000000${String(serial).padStart(2, '0')}`,
    memberName: `member ${serial}`,
    login,
    loginKey: loginKeyOf(login),
    linkedBy: { id: '1', name: 'alice' },
    linkedAt: new Date(),
    ...overrides,
  };
}

describe('GithubLinkRepository on the real engine', () => {
  let connection: Connection;
  let model: Model<GithubLinkDocument>;
  let links: GithubLinkRepository;

  beforeAll(async () => {
    connection = await mongoose.createConnection(testDatabaseUri('github_links')).asPromise();
    model = connection.model(GithubLinkDocument.name, GithubLinkSchema);
    await model.init();
    links = new GithubLinkRepository(model);
  });
  afterAll(() => connection.close());

  it('keeps one member and one login per link: both indexes are unique', async () => {
    const indexes = await connection.collection('github_links').indexes();
    const unique = indexes.filter((index) => index.unique).map((index) => index.key);
    expect(unique).toEqual(expect.arrayContaining([{ memberId: 1 }, { loginKey: 1 }]));
  });

  it('finds a link by member and by login in any case, showing the login as typed', async () => {
    const link = aLink({ login: 'Erin-GH' });
    expect(await links.put(link)).toEqual({ linked: true });
    expect(await links.findByMember(link.memberId)).toEqual(link);
    expect(await links.findByLoginKey(loginKeyOf('ERIN-gh'))).toMatchObject({
      memberId: link.memberId,
      login: 'Erin-GH',
    });
    expect(await links.findByLoginKey('nobody-here')).toBeUndefined();
  });

  it("replaces a member's own link and frees the login it had", async () => {
    const first = aLink();
    await links.put(first);
    const second = { ...aLink(), memberId: first.memberId, memberName: first.memberName };
    expect(await links.put(second)).toEqual({ linked: true, replaced: first });
    expect(await links.findByLoginKey(first.loginKey)).toBeUndefined();
    expect(await model.countDocuments({ memberId: first.memberId })).toBe(1);
    // The freed login may go to someone else now.
    expect(await links.put(aLink({ login: first.login }))).toEqual({ linked: true });
  });

  it('refuses a login another member holds, whatever its case, and changes nothing', async () => {
    const holder = aLink({ login: 'Shared-Login' });
    await links.put(holder);
    const other = aLink({ login: 'Own-Login' });
    await links.put(other);
    const attempt = { ...other, login: 'SHARED-login', loginKey: loginKeyOf('SHARED-login') };
    expect(await links.put(attempt)).toEqual({ linked: false });
    expect(await links.put(aLink({ login: 'shared-LOGIN' }))).toEqual({ linked: false });
    expect(await links.findByMember(other.memberId)).toEqual(other);
    expect(await links.findByLoginKey('shared-login')).toEqual(holder);
  });

  it('gives a login to exactly one of two members linking it at once', async () => {
    for (let round = 0; round < 10; round++) {
      const login = `race-${round}`;
      const results = await Promise.all([links.put(aLink({ login })), links.put(aLink({ login }))]);
      expect(results.filter((result) => result.linked)).toHaveLength(1);
      expect(await model.countDocuments({ loginKey: login })).toBe(1);
    }
  });

  it('removes a link and says when there was none', async () => {
    const link = aLink();
    await links.put(link);
    expect(await links.remove(link.memberId)).toEqual(link);
    expect(await links.remove(link.memberId)).toBeUndefined();
    expect(await links.findByLoginKey(link.loginKey)).toBeUndefined();
  });

  it('lists links by member name', async () => {
    const zed = aLink({ memberName: 'zz last' });
    const abe = aLink({ memberName: '00 first' });
    await links.put(zed);
    await links.put(abe);
    const names = (await links.list()).map((link) => link.memberName);
    expect(names[0]).toBe('00 first');
    expect(names[names.length - 1]).toBe('zz last');
  });
});
