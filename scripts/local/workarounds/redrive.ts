/** RedrivePolicy: applied by MiniStack 1.5.33 from CloudFormation; verified on every deploy, set only if missing. */
import { GetQueueAttributesCommand, SetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { SERVICES } from '../../../lambdas/services/registry';
import { serviceOutputs } from '../../../lib/outputs';
import { stageConfig } from '../../../lib/stages';
import { clientConfig } from '../aws-env';
import type { Workaround } from './workaround';

export const redriveFromTemplate: Workaround = {
  name: 'redriveFromTemplate',
  lacks: 'RedrivePolicy from CloudFormation on SQS queues (main queue -> DLQ after maxReceiveCount receives)',
  async canary(endpoint, probe) {
    const sqs = new SQSClient(clientConfig(endpoint));
    const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: probe.QueueUrl, AttributeNames: ['RedrivePolicy'] }));
    const policy = Attributes?.RedrivePolicy
      ? (JSON.parse(Attributes.RedrivePolicy) as { deadLetterTargetArn?: string; maxReceiveCount?: number | string })
      : undefined;
    return !(policy?.deadLetterTargetArn === probe.DlqArn && Number(policy.maxReceiveCount) === 3);
  },
  async apply(outputs, endpoint) {
    const sqs = new SQSClient(clientConfig(endpoint));
    const maxReceiveCount = stageConfig('local').worker.maxReceiveCount;
    const done: string[] = [];
    for (const svc of SERVICES) {
      const keys = serviceOutputs(svc.name);
      const queueUrl = outputs[keys.queueUrl];
      const dlqUrl = outputs[keys.dlqUrl];
      if (!queueUrl || !dlqUrl) continue;
      const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['RedrivePolicy'] }));
      if (Attributes?.RedrivePolicy) continue;
      const dlq = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: dlqUrl, AttributeNames: ['QueueArn'] }));
      await sqs.send(
        new SetQueueAttributesCommand({
          QueueUrl: queueUrl,
          Attributes: { RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlq.Attributes!.QueueArn, maxReceiveCount }) },
        }),
      );
      done.push(`RedrivePolicy was missing, set (maxReceiveCount ${maxReceiveCount}): ${queueUrl}`);
    }
    return done;
  },
};
