import { AppError } from '../../libs/errors';

export class PromotionOrderError extends AppError {
  constructor(
    sha: string,
    environment: string,
    from: string,
    why: { unverified?: true; soakLeft?: string } = {},
  ) {
    const short = `\`${sha.slice(0, 7)}\``;
    super(
      'DEPLOY.PROMOTE_FIRST',
      why.soakLeft
        ? `${short} has not run long enough on ${from}: ${environment} takes it ${why.soakLeft} from now (its min-soak).`
        : why.unverified
          ? `${short} has not passed its verification on ${from} yet: ${environment} takes only what was verified on ${from} (deploy it there and let it soak).`
          : `${short} has not been deployed successfully to ${from} yet: deploy it there first (${environment} takes only what succeeded on ${from}).`,
      409,
    );
  }
}
