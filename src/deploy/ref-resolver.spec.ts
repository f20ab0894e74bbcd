import { Comparison, GithubClient } from '../github/github.client';
import { Service } from '../service-registry/service';
import { DeploymentHistory } from '../deployments/deployment-history.repository';
import { RefResolver } from './ref-resolver';

const MAIN = 'a'.repeat(40);
const OLD = 'b'.repeat(40);
const FORK = 'c'.repeat(40);
const RELEASE = 'd'.repeat(40);
const service: Service = {
  name: 'api',
  owner: 'acme',
  repo: 'api',
  workflow: 'deploy.yml',
  environments: ['staging', 'prod'],
  protectedEnvironments: ['prod'],
  defaultRef: 'main',
  environmentInput: 'environment',
  shaInput: 'sha',
  addedBy: { id: '1', name: 'a' },
  addedAt: new Date(),
};

/** GitHub as a strict fake: branches, tags, and which commits each branch contains. */
function resolver(deployedBefore: string[] = []) {
  const calls: string[] = [];
  const branches: Record<string, string> = { main: MAIN, 'release/1.x': RELEASE, feature: OLD };
  const contains: Record<string, string[]> = { main: [MAIN, OLD], 'release/1.x': [RELEASE] };
  const github = {
    getBranch: async (_o: string, _r: string, name: string) => {
      calls.push(`branch ${name}`);
      return branches[name] ?? null;
    },
    getTag: async (_o: string, _r: string, name: string) => {
      calls.push(`tag ${name}`);
      return { 'v1.2.0': OLD, 'v9-rogue': FORK }[name] ?? null;
    },
    getCommitSha: async (_o: string, _r: string, sha: string) => {
      calls.push(`commit ${sha}`);
      return [MAIN, OLD, FORK, RELEASE].find((full) => full.startsWith(sha)) ?? null;
    },
    listBranches: async () => {
      calls.push('branches');
      return Object.entries(branches).map(([name, sha]) => ({ name, sha }));
    },
    compareCommits: async (_o: string, _r: string, base: string, head: string) => {
      // Compared from a branch head's SHA, never from a name.
      const branch = Object.keys(branches).find((name) => branches[name] === base);
      if (!branch) throw new Error(`compare from ${base}, which is no branch head`);
      calls.push(`compare ${branch}...${head.slice(0, 1)}`);
      const status =
        head === base ? 'identical' : contains[branch]?.includes(head) ? 'behind' : 'diverged';
      return { status } as Comparison;
    },
  } as unknown as GithubClient;
  const history = {
    findSuccessful: async (_s: string, _e: string, sha: string) =>
      deployedBefore.includes(sha) ? { sha } : null,
  } as unknown as DeploymentHistory;
  return { refs: new RefResolver(github, history), calls };
}

describe('RefResolver', () => {
  it('allows any branch or tag on an unprotected target, and reads a branch with one request', async () => {
    const { refs, calls } = resolver();
    await expect(refs.resolve(service, 'staging', 'feature')).resolves.toMatchObject({
      kind: 'branch',
      sha: OLD,
      allowedBy: 'branch:**',
    });
    expect(calls).toEqual(['branch feature']);
    await expect(refs.resolve(service, 'staging', 'v1.2.0')).resolves.toMatchObject({
      kind: 'tag',
      allowedBy: 'tag:**',
    });
  });

  it('allows only the default branch and tags on a protected target, naming the rule', async () => {
    const { refs, calls } = resolver();
    await expect(refs.resolve(service, 'prod', 'main')).resolves.toMatchObject({ sha: MAIN });
    await expect(refs.resolve(service, 'prod', 'feature')).rejects.toThrow(
      'Branch `feature` is not allowed for api → prod: allowed are `branch:main`, `tag:**` (an admin changes them with /service refs).',
    );
    expect(calls).toEqual(['branch main', 'branch feature']);
  });

  it('refuses from the patterns alone when no branch or tag could match, asking GitHub nothing', async () => {
    const { refs, calls } = resolver();
    const branchesOnly = { ...service, targets: { prod: { allowedRefs: ['branch:main'] } } };
    await expect(refs.resolve(branchesOnly, 'prod', 'feature')).rejects.toThrow(
      '`feature` is not allowed for api → prod: allowed are `branch:main`',
    );
    expect(calls).toEqual([]);
  });

  it('follows a target’s own patterns', async () => {
    const { refs } = resolver();
    const custom = { ...service, targets: { prod: { allowedRefs: ['branch:release/*'] } } };
    await expect(refs.resolve(custom, 'prod', 'release/1.x')).resolves.toMatchObject({
      allowedBy: 'branch:release/*',
    });
    await expect(refs.resolve(custom, 'prod', 'main')).rejects.toThrow('`main` is not allowed');
  });

  it('takes a tag to a protected target only when an allowed branch holds its commit', async () => {
    const { refs } = resolver();
    await expect(refs.resolve(service, 'prod', 'v1.2.0')).resolves.toMatchObject({
      kind: 'tag',
      sha: OLD,
    });
    await expect(refs.resolve(service, 'prod', 'v9-rogue')).rejects.toThrow(
      'Tag `v9-rogue` points at commit `ccccccc` is not on an allowed branch for api → prod (checked `main`)',
    );
    // On an unprotected target any tag will do.
    await expect(refs.resolve(service, 'staging', 'v9-rogue')).resolves.toMatchObject({
      sha: FORK,
    });
  });

  it('never deploys a pull request ref, however it is written', async () => {
    const { refs, calls } = resolver();
    for (const ref of ['refs/pull/7/head', 'pull/7/head', 'refs/pull/7/merge'])
      await expect(refs.resolve(service, 'staging', ref)).rejects.toThrow(
        'Pull request refs are never deployed',
      );
    expect(calls).toEqual([]);
  });

  it('takes a bare SHA only from an allowed branch that contains it, or one deployed there before', async () => {
    const { refs } = resolver();
    await expect(refs.resolve(service, 'prod', OLD)).resolves.toMatchObject({
      kind: 'commit',
      sha: OLD,
      allowedBy: 'on branch:main',
    });
    await expect(refs.resolve(service, 'prod', FORK.slice(0, 9))).rejects.toThrow(
      'Commit `ccccccc` is not on an allowed branch for api → prod (checked `main`) and has not been deployed there before.',
    );
    // A head commit of a fork's pull request is on no branch of the repository.
    await expect(refs.resolve(service, 'staging', FORK)).rejects.toThrow(
      '(checked `main`, `release/1.x`, `feature`)',
    );
    const again = resolver([FORK]).refs;
    await expect(again.resolve(service, 'prod', FORK)).resolves.toMatchObject({
      allowedBy: 'already deployed to prod',
    });
  });

  it('says which ref does not exist', async () => {
    const { refs } = resolver();
    await expect(refs.resolve(service, 'staging', 'nope')).rejects.toThrow(
      'acme/api has no branch, tag or commit "nope".',
    );
    await expect(refs.resolve(service, 'staging', 'deadbeef99')).rejects.toThrow(
      'has no branch, tag or commit "deadbeef99"',
    );
  });
});
