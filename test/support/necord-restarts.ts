import { NecordBaseDiscovery } from 'necord';

/**
 * Necord binds each decorated handler to the first app that explores it (`??=` on metadata
 * shared through the decorators). One app per process never notices; tests that restart the
 * app inside one process need the newest app to win, or the closed one keeps answering.
 */
const discovery = NecordBaseDiscovery.prototype as unknown as {
  setContextCallback(fn: unknown): void;
  setDiscoveryMeta(meta: unknown): void;
  contextCallback: unknown;
  discovery: unknown;
};
discovery.setContextCallback = function (this: typeof discovery, fn: unknown) {
  this.contextCallback = fn;
};
discovery.setDiscoveryMeta = function (this: typeof discovery, meta: unknown) {
  this.discovery = meta;
};
