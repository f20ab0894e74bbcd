import { Injectable } from '@nestjs/common';
import { AdmissionGuards } from '../admission/admission.guards';
import type { AdmittedRequest } from '../admission/admitted-request';
import { AppConfig } from '../config/app-config';
import { Deployment, GateRecord } from '../deployments/deployment';
import { DeploymentTransitions, InFlight } from '../deployments/deployment-transitions.service';
import { ApprovalService } from '../approval/approval.service';
import { CiGateService } from '../ci-gate/ci-gate.service';
import { DispatchService } from '../dispatch/dispatch.service';
import { DISPATCH_LEASE_MS } from '../deployments/deadlines';

/** Where the deployment's message was posted. */
export interface PostedMessage {
  channelId: string;
  messageId: string;
}

/**
 * The end of /deploy and /rollback: a deploy to a gated target whose commit CI has not passed is
 * held at the CI gate; then a protected target gets an approval request, anything else is put in
 * flight (the insert itself takes the target and a concurrency slot) and dispatched.
 * `publish` shows the new deployment (the command's reply), which becomes its message; a
 * deployment started on GitHub has none: the message worker posts it to its channel.
 */
@Injectable()
export class DeploymentLauncher {
  constructor(
    private readonly config: AppConfig,
    private readonly transitions: DeploymentTransitions,
    private readonly admission: AdmissionGuards,
    private readonly approvals: ApprovalService,
    private readonly dispatcher: DispatchService,
    private readonly gate: CiGateService,
  ) {}

  async launch(
    request: AdmittedRequest,
    publish?: (deployment: Deployment) => Promise<PostedMessage>,
  ): Promise<Deployment> {
    const gated = request.gate ? await this.gate.hold(request, request.gate) : undefined;
    const passed = gated && 'passed' in gated ? gated.passed : undefined;
    let deployment: Deployment;
    let inFlight: InFlight | undefined;
    if (gated && 'held' in gated) deployment = gated.held;
    else if (request.protected) deployment = await this.approvals.open(request, passed);
    else {
      inFlight = await this.startInFlight(request, passed);
      deployment = inFlight.deployment;
    }
    // Without `publish` (a run started on GitHub), its message is posted to its channel later.
    if (publish) {
      const posted = await publish(deployment);
      await this.transitions.attachMessage(deployment.id, posted.channelId, posted.messageId);
    }
    if (inFlight) return this.dispatcher.dispatch(deployment, inFlight.leaseOwner);
    return deployment;
  }

  /** A refusal (busy target, cap reached) gives the member's cooldown back. */
  private async startInFlight(request: AdmittedRequest, gate?: GateRecord): Promise<InFlight> {
    const started = await this.transitions.startInFlight(
      request.draft,
      this.config.deploy.maxConcurrent,
      DISPATCH_LEASE_MS,
      gate,
    );
    if ('deployment' in started) return started;
    await request.release();
    throw await this.admission.refusal(started.refused, request.draft);
  }
}
