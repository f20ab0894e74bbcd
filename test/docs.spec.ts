import GithubSlugger from 'github-slugger';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

/**
 * The documentation holds together: every relative link in the README, docs/ and CONTRIBUTING.md
 * points at a file that exists, every anchor at a heading of that page (GitHub's slugs, as
 * github-slugger makes them), every file of the project a page names exists, and the README
 * stays a front door.
 */

const ROOT = join(__dirname, '..');
const PAGES = [
  'README.md',
  'CONTRIBUTING.md',
  ...readdirSync(join(ROOT, 'docs'))
    .filter((name) => name.endsWith('.md'))
    .map((name) => `docs/${name}`),
];

/** The text outside fenced code blocks and inline code, where links are links. */
function prose(markdown: string): string {
  return markdown
    .replace(/^( *)(```|~~~)[^\n]*\n[\s\S]*?^\1\2[^\n]*$/gm, '')
    .replace(/`[^`\n]*`/g, '');
}

function anchorsOf(markdown: string): Set<string> {
  const slugger = new GithubSlugger();
  const headings = prose(markdown)
    .split('\n')
    .map((line) => /^#{1,6} (.+?)\s*#*$/.exec(line)?.[1])
    .filter((heading): heading is string => heading !== undefined);
  return new Set(headings.map((heading) => slugger.slug(heading.replace(/`/g, ''))));
}

function linksOf(markdown: string): string[] {
  return [...prose(markdown).matchAll(/\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)].map((m) => m[1]);
}

/** The names of the project's own files (src, libs, test, the root). */
function listFiles(dir = ROOT, found = new Set<string>()): Set<string> {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (['node_modules', 'dist', 'dist-bench', '.git', 'data'].includes(entry.name)) continue;
    if (entry.isDirectory()) listFiles(join(dir, entry.name), found);
    else found.add(entry.name);
  }
  return found;
}

const text = (path: string) => readFileSync(join(ROOT, path), 'utf8');

describe('the documentation', () => {
  it.each(PAGES)('%s: every relative link and anchor resolves', (page) => {
    const broken: string[] = [];
    for (const link of linksOf(text(page))) {
      if (/^[a-z]+:/i.test(link)) continue; // https:, mailto:
      const [path, anchor] = link.split('#') as [string, string | undefined];
      const target = path ? resolve(ROOT, dirname(page), decodeURI(path)) : join(ROOT, page);
      if (!target.startsWith(ROOT) || !existsSync(target)) {
        broken.push(`${link}: no such file`);
        continue;
      }
      if (anchor === undefined) continue;
      if (statSync(target).isDirectory() || !target.endsWith('.md')) {
        broken.push(`${link}: an anchor into something that is not a page`);
        continue;
      }
      const anchors = anchorsOf(readFileSync(target, 'utf8'));
      if (!anchors.has(anchor))
        broken.push(`${link}: no heading #${anchor} in ${relative(ROOT, target)}`);
    }
    expect(broken).toEqual([]);
  });

  it.each(PAGES)('%s: every file of the project it names exists', (page) => {
    const files = listFiles();
    const missing = [...text(page).matchAll(/`([\w./-]+\.(?:ts|cjs|mjs|js|json|yml))`/g)]
      .map((m) => m[1]!)
      .filter((path) => !/^(dist|bench-results|node_modules|\.github)\//.test(path))
      .filter((path) =>
        path.includes('/')
          ? !['', 'src/', 'test/'].some((base) => existsSync(join(ROOT, base, path)))
          : !files.has(path),
      );
    expect([...new Set(missing)]).toEqual([]);
  });

  it('keeps the README a front door: 250 lines at most, linking every page of docs/', () => {
    const readme = text('README.md');
    expect(readme.split('\n').length).toBeLessThanOrEqual(250);
    const linked = new Set(linksOf(readme).map((link) => link.split('#')[0]));
    const pages = PAGES.filter((page) => page !== 'README.md');
    expect(pages.filter((page) => !linked.has(page))).toEqual([]);
  });

  it('finds a broken link and a broken anchor (the checker itself)', () => {
    const markdown =
      '# Title\n\n## A deployment’s message\n\n[x](#a-deployments-message) [y](#nope)\n';
    expect(anchorsOf(markdown)).toEqual(new Set(['title', 'a-deployments-message']));
    expect(linksOf(markdown)).toEqual(['#a-deployments-message', '#nope']);
    expect(linksOf('```\n[not](a-link)\n```\n`[nor](this)`')).toEqual([]);
  });
});
