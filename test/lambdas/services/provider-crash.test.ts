/** The simulated payment provider's local-stage hook `crash-in-provider`: the charge is taken, the caller dies, once. */
import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { beforeEach, describe, expect, it } from 'vitest';
import { ddbMock, TABLES } from './helpers';
import { chargeRecordKey, SimulatedPaymentProvider } from '../../../lambdas/services/payment/provider';

const request = { idempotencyKey: 'o-1:charge', orderId: 'o-1', amountCents: 500, currency: 'USD' };
const conditionFailed = Object.assign(new Error('The conditional request failed'), { name: 'ConditionalCheckFailedException' });

describe('SimulatedPaymentProvider: crash-in-provider', () => {
  beforeEach(() => ddbMock.reset());

  it('records the charge, then throws once (marker); the retry returns the recorded charge and charges nothing more', async () => {
    const provider = new SimulatedPaymentProvider(TABLES.service, async () => ['crash-in-provider']);
    ddbMock.on(PutCommand).resolves({});
    await expect(provider.charge(request)).rejects.toMatchObject({ name: 'InjectedFault', fault: 'crash-in-provider' });
    const puts = ddbMock.commandCalls(PutCommand).map((c) => c.args[0].input);
    expect(puts.map((p) => p.Item?.pk)).toEqual([chargeRecordKey('o-1').pk, 'FAULT#o-1#crash-in-provider']);
    const charge = puts[0]!.Item!;

    // The retry: the charge record and the marker exist; the provider answers from its record.
    ddbMock.reset();
    ddbMock.on(PutCommand).rejects(conditionFailed);
    ddbMock.on(GetCommand, { Key: chargeRecordKey('o-1') }).resolves({ Item: charge });
    expect(await provider.charge(request)).toEqual({ status: 'CHARGED', chargeId: charge.chargeId });
  });

  it('without the hook, or without a fault lookup, it never throws', async () => {
    ddbMock.on(PutCommand).resolves({});
    expect(await new SimulatedPaymentProvider(TABLES.service, async () => ['drop:payment']).charge(request)).toMatchObject({ status: 'CHARGED' });
    expect(await new SimulatedPaymentProvider(TABLES.service).charge(request)).toMatchObject({ status: 'CHARGED' });
    expect(ddbMock.commandCalls(PutCommand).map((c) => c.args[0].input.Item?.pk)).toEqual([chargeRecordKey('o-1').pk, chargeRecordKey('o-1').pk]);
  });
});
