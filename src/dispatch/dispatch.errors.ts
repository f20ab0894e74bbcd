import { AppError } from '../../libs/errors';

export class PromotionOrderError extends AppError {
  constructor(sha: string, environment: string, from: string) {
    super(
      'DEPLOY.PROMOTE_FIRST',
      `\`${sha.slice(0, 7)}\` has not been deployed successfully to ${from} yet: deploy it there first (${environment} takes only what succeeded on ${from}).`,
      409,
    );
  }
}
