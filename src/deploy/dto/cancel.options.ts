import { StringOption } from 'necord';

export class CancelOptions {
  @StringOption({
    name: 'id',
    description: 'Deployment id (d-7f3a2c), or a queued request (q-1a2b3c)',
    required: true,
    max_length: 20,
  })
  id!: string;
}
