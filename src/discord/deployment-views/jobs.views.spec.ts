import { JobLine } from '../../deployments/deployment';
import { jobLine } from './jobs.views';

const RUN = 'https://github.com/acme/api/actions/runs/9';
const failed = (url: string): JobLine => ({
  id: 3,
  name: 'deploy',
  status: 'completed',
  conclusion: 'failure',
  step: { number: 2, name: 'Apply' },
  steps: 4,
  url,
  at: 'now',
});

describe('jobLine', () => {
  it("links a failed job's log only when it is a job page of the deployment's own run", () => {
    expect(jobLine(failed(`${RUN}/job/3`), RUN)).toBe(
      `❌ deploy: failed at step 2/4: Apply · [log](${RUN}/job/3)`,
    );
    for (const url of [
      `${RUN}/job/../../../../../attacker/repo`,
      'https://evil.example/acme/api/actions/runs/9/job/3',
      `${RUN}/job/3 x`,
    ])
      expect(jobLine(failed(url), RUN)).toBe('❌ deploy: failed at step 2/4: Apply');
    expect(jobLine(failed(`${RUN}/job/3`), undefined)).not.toContain('[log]');
  });
});
