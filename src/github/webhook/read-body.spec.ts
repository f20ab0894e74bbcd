import { PassThrough } from 'node:stream';
import { readBody } from './read-body';

describe('readBody', () => {
  afterEach(() => jest.useRealTimers());

  it('returns the bytes as they came', async () => {
    const req = new PassThrough();
    const body = readBody(req, 100, 1_000);
    req.end(Buffer.from('{"a":1}'));
    await expect(body).resolves.toEqual(Buffer.from('{"a":1}'));
  });

  it('gives up on a body that has not arrived by the deadline', async () => {
    jest.useFakeTimers();
    const req = new PassThrough();
    const body = readBody(req, 100, 10_000);
    req.write('{');
    jest.advanceTimersByTime(9_999);
    req.write('"');
    jest.advanceTimersByTime(1);
    await expect(body).rejects.toMatchObject({ code: 'WEBHOOK.TIMEOUT', httpStatus: 408 });
  });

  it('stops at the size limit, keeping nothing beyond it', async () => {
    const req = new PassThrough();
    const body = readBody(req, 10, 1_000);
    req.write(Buffer.alloc(8));
    req.write(Buffer.alloc(8));
    await expect(body).rejects.toMatchObject({ code: 'WEBHOOK.TOO_LARGE', httpStatus: 413 });
    expect(req.listenerCount('data')).toBe(0);
  });

  it('treats a sender that goes away as aborted', async () => {
    const req = new PassThrough();
    const body = readBody(req, 10, 1_000);
    req.destroy();
    await expect(body).rejects.toMatchObject({ code: 'WEBHOOK.ABORTED' });
  });
});
