/**
 * CfnOutput keys of the stack (docs/contract.md), in one place: the local harness and the integration tests can
 * import these instead of spelling the keys again.
 */
import type { ServiceName } from '../lambdas/services/registry';
import { pascal } from './names';

export const STACK_OUTPUTS = {
  apiUrl: 'ApiUrl',
  apiId: 'ApiId',
  topicArn: 'TopicArn',
  alarmTopicArn: 'AlarmTopicArn',
  ordersTableName: 'OrdersTableName',
  catalogTableName: 'CatalogTableName',
  outboxDlqUrl: 'OutboxDlqUrl',
  dashboardName: 'DashboardName',
  /** The stage the stack was deployed as (the operator commands take its numbers from lib/stages.ts by --stage). */
  stage: 'Stage',
} as const;

const stackOutputKeys: ReadonlySet<string> = new Set(Object.values(STACK_OUTPUTS));

/**
 * Per service: `<Svc>QueueUrl`, `<Svc>DlqUrl`, `<Svc>SubscriptionDlqUrl`, `<Svc>TableName`. The `orders` service's table would be
 * `OrdersTableName`, which already names the orders table, so a clashing key gets `Service` inserted:
 * `OrdersServiceTableName`.
 */
export function serviceOutputs(name: ServiceName) {
  const Svc = pascal(name);
  const unclashed = (key: string, fallback: string) => (stackOutputKeys.has(key) ? fallback : key);
  return {
    queueUrl: unclashed(`${Svc}QueueUrl`, `${Svc}ServiceQueueUrl`),
    dlqUrl: unclashed(`${Svc}DlqUrl`, `${Svc}ServiceDlqUrl`),
    subscriptionDlqUrl: unclashed(`${Svc}SubscriptionDlqUrl`, `${Svc}ServiceSubscriptionDlqUrl`),
    tableName: unclashed(`${Svc}TableName`, `${Svc}ServiceTableName`),
    /** Only for a service with `afterDeadline` events. */
    deadlineQueueUrl: `${Svc}DeadlineQueueUrl`,
    deadlineDlqUrl: `${Svc}DeadlineDlqUrl`,
    deadlineSubscriptionDlqUrl: `${Svc}DeadlineSubscriptionDlqUrl`,
  };
}
