import { Logger } from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import { Instance } from '../instance';
import { BackgroundRound } from '.';

function round(options: { ready?: () => boolean; work?: () => Promise<unknown> } = {}) {
  const warnings: string[] = [];
  const logger = { warn: (message: string) => warnings.push(message) } as unknown as Logger;
  const instance = new Instance('test');
  const scheduler = new SchedulerRegistry();
  const releases: Array<() => void> = [];
  let runs = 0;
  const work =
    options.work ??
    (() => {
      runs++;
      return new Promise<void>((resolve) => releases.push(resolve));
    });
  const background = new BackgroundRound(scheduler, instance, {
    name: 'test-round',
    everyMs: 60_000,
    work,
    ready: options.ready,
    logger,
    failure: 'Test round failed',
  });
  return { background, instance, scheduler, releases, warnings, runs: () => runs };
}

describe('BackgroundRound', () => {
  it('runs one round at a time: a round asked for while one runs is that one', async () => {
    const { background, releases, runs } = round();
    const first = background.run();
    expect(background.run()).toBe(first);
    expect(runs()).toBe(1);
    releases[0]();
    await first;
    const second = background.run();
    expect(second).not.toBe(first);
    expect(runs()).toBe(2);
    releases[1]();
    await second;
  });

  it('runs nothing while the instance stops or while it is not ready', async () => {
    let ready = false;
    const { background, instance, runs } = round({ ready: () => ready });
    await background.run();
    expect(runs()).toBe(0);
    ready = true;
    instance.stopping = true;
    await background.run();
    expect(runs()).toBe(0);
  });

  it('logs a failed round and never throws it', async () => {
    const { background, warnings } = round({ work: () => Promise.reject(new Error('boom')) });
    await expect(background.run()).resolves.toBeUndefined();
    expect(warnings).toEqual(['Test round failed: boom']);
  });

  it('starts its interval (and a first round when asked), and stops it after the round running', async () => {
    const { background, scheduler, releases, runs } = round();
    background.start(true);
    expect(scheduler.doesExist('interval', 'test-round')).toBe(true);
    expect(runs()).toBe(1);
    let stopped = false;
    const stopping = background.stop().then(() => (stopped = true));
    expect(scheduler.doesExist('interval', 'test-round')).toBe(false);
    await Promise.resolve();
    expect(stopped).toBe(false);
    releases[0]();
    await stopping;
    expect(stopped).toBe(true);
  });
});
