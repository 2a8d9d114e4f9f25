import {
  SendMessageBatchCommand,
  type SendMessageBatchCommandOutput,
  type SendMessageBatchRequestEntry,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { messageBodyOf } from '#shared/aws/event-queue.ts';
import type { CanonicalEvent } from '#shared/domain/event.ts';
import { CommandError } from '../command.ts';

/**
 * Canonical events onto the interactions queue — the queue the webhooks fill, with the same message
 * body (the event's JSON), so the processor cannot tell an imported event from a delivered one.
 * SendMessageBatch of up to ten messages and 256 KiB, several batches in flight; entries the queue
 * refuses for its own reasons (throttling, an internal error) are sent again, and a refusal that
 * names the message itself is an error.
 */

export const MAX_MESSAGE_BYTES = 256 * 1024;
const MAX_ENTRIES = 10;
const ATTEMPTS = 6;

export interface SenderOptions {
  /** Batches in flight at once. */
  concurrency: number;
  sleep?: (ms: number) => Promise<void>;
}

export class QueueSender {
  private buffer: string[] = [];
  private bufferBytes = 0;
  private readonly inFlight = new Set<Promise<void>>();
  private failure: Error | undefined;
  /** Messages the queue has accepted. */
  sent = 0;

  constructor(
    private readonly sqs: Pick<SQSClient, 'send'>,
    private readonly queueUrl: string,
    private readonly options: SenderOptions,
  ) {}

  /** The event's message body, or undefined when it is too large for one SQS message. */
  static bodyOf(event: CanonicalEvent): string | undefined {
    const body = messageBodyOf(event);
    return Buffer.byteLength(body) <= MAX_MESSAGE_BYTES ? body : undefined;
  }

  /** Queues a message body; resolves when there is room for more (at most `concurrency` batches in flight). */
  async add(body: string): Promise<void> {
    this.throwIfFailed();
    const bytes = Buffer.byteLength(body);
    if (this.buffer.length === MAX_ENTRIES || this.bufferBytes + bytes > MAX_MESSAGE_BYTES) await this.dispatch();
    this.buffer.push(body);
    this.bufferBytes += bytes;
    if (this.buffer.length === MAX_ENTRIES) await this.dispatch();
  }

  /** Sends what is buffered and waits for every batch in flight: afterwards, everything added is on the queue. */
  async flush(): Promise<void> {
    if (this.buffer.length > 0) await this.dispatch();
    await Promise.all(this.inFlight);
    this.throwIfFailed();
  }

  private async dispatch(): Promise<void> {
    const bodies = this.buffer;
    this.buffer = [];
    this.bufferBytes = 0;
    while (this.inFlight.size >= this.options.concurrency) await Promise.race(this.inFlight);
    this.throwIfFailed();
    const batch: Promise<void> = this.sendBatch(bodies)
      .catch((error: unknown) => {
        this.failure ??= error as Error;
      })
      .finally(() => this.inFlight.delete(batch));
    this.inFlight.add(batch);
  }

  private async sendBatch(bodies: string[]): Promise<void> {
    const sleep = this.options.sleep ?? ((ms: number) => new Promise<void>((done) => setTimeout(done, ms)));
    let entries: SendMessageBatchRequestEntry[] = bodies.map((body, i) => ({ Id: String(i), MessageBody: body }));
    for (let attempt = 1; ; attempt++) {
      const result: SendMessageBatchCommandOutput = await this.sqs.send(
        new SendMessageBatchCommand({ QueueUrl: this.queueUrl, Entries: entries }),
      );
      this.sent += result.Successful?.length ?? 0;
      const failed = result.Failed ?? [];
      if (failed.length === 0) return;
      const senderFault = failed.find((entry) => entry.SenderFault);
      if (senderFault) {
        throw new CommandError(`the interactions queue refused a message: ${senderFault.Code} ${senderFault.Message ?? ''}`.trim());
      }
      if (attempt === ATTEMPTS) {
        throw new CommandError(`the interactions queue kept failing ${failed.length} message(s): ${failed[0]?.Code ?? 'unknown'}`);
      }
      const retry = new Set(failed.map((entry) => entry.Id));
      entries = entries.filter((entry) => retry.has(entry.Id));
      await sleep(100 * 2 ** attempt);
    }
  }

  private throwIfFailed(): void {
    if (this.failure) throw this.failure;
  }
}
