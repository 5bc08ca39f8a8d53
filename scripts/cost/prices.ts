/**
 * The one price table of `npm run cost`: AWS list prices, on-demand, region us-east-1, in USD.
 *
 * AS OF: 2026-11-30. SOURCE: the public AWS pricing pages named per line, as transcribed by the project (not
 * fetched at run time; this tool never calls a pricing API). Free tiers are ignored (a cost model should hold past
 * them). Check the pages before you rely on a figure, and update `asOf` when you change one.
 */
export const PRICES = {
  asOf: '2026-11-30',
  region: 'us-east-1',
  lambda: {
    source: 'https://aws.amazon.com/lambda/pricing/',
    perMillionRequests: 0.2,
    perGbSecondArm: 0.0000133334,
    perGbSecondX86: 0.0000166667,
  },
  apiGateway: {
    source: 'https://aws.amazon.com/api-gateway/pricing/',
    /** HTTP API, first 300 million requests a month (per 512 KB request). */
    httpPerMillion: 1.0,
    /** REST API, first 333 million requests a month. */
    restPerMillion: 3.5,
  },
  dynamodb: {
    source: 'https://aws.amazon.com/dynamodb/pricing/on-demand/',
    /** On-demand write request unit (1 KB; 2 per KB in a transaction). */
    perMillionWriteUnits: 0.625,
    /** On-demand read request unit (4 KB strongly consistent; half for eventual; 2 in a transaction). */
    perMillionReadUnits: 0.125,
    /** Streams read by a Lambda trigger are free; storage is not modelled (items expire or are small). */
  },
  sns: {
    source: 'https://aws.amazon.com/sns/pricing/',
    /** Per million publish requests (each 64 KB chunk is one request); deliveries to SQS are free. */
    perMillionPublishes: 0.5,
  },
  sqs: {
    source: 'https://aws.amazon.com/sqs/pricing/',
    /** Standard queue, per million requests (each 64 KB chunk is one); SNS's delivery is a SendMessage. */
    perMillionRequests: 0.4,
  },
  cloudwatchLogs: {
    source: 'https://aws.amazon.com/cloudwatch/pricing/',
    /** Standard log class ingestion. */
    perGbIngested: 0.5,
  },
} as const;

export type Prices = typeof PRICES;
