import { Service } from '../service-registry/service';

const FULL_SHA = /^[0-9a-f]{40}$/i;

/** The branch or tag to dispatch on: the ref itself, or the default branch for a bare SHA. */
export function dispatchRefFor(ref: string, sha: string, service: Service): string {
  const isSha =
    FULL_SHA.test(ref) ||
    (/^[0-9a-f]{7,39}$/i.test(ref) && sha.toLowerCase().startsWith(ref.toLowerCase()));
  return isSha ? service.defaultRef : ref;
}
