import { CfnOutput, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { AccountRecovery, Mfa, OAuthScope, UserPool, UserPoolClient } from 'aws-cdk-lib/aws-cognito';
import { Construct } from 'constructs';
import type { StageConfig } from '../stages';

/** CfnOutput keys of the quick-start user pool (present only when the stack creates it). */
export const IDENTITY_OUTPUTS = { userPoolId: 'UserPoolId', userPoolClientId: 'UserPoolClientId' } as const;

export interface IdentityProps {
  readonly stage: StageConfig;
}

/**
 * The quick-start issuer of the API's tokens: a Cognito user pool (no self sign-up: an administrator creates users)
 * and a public app client (no secret) that allows USER_PASSWORD_AUTH, so a token is one CLI call away
 * (SECURITY.md). Bring your own issuer with `-c jwtIssuer=... -c jwtAudience=... -c jwtScope=...` and this is not
 * created.
 *
 * OAuth is off on the client unless `-c oauthCallbackUrls=https://...` names where to return: then the authorization
 * code grant only (PKCE; a public client), never the implicit flow, and no placeholder callback. MFA (TOTP) is
 * required where the stage says so (prod), offered elsewhere.
 */
export class Identity extends Construct {
  public readonly userPool: UserPool;
  public readonly client: UserPoolClient;
  /** `https://cognito-idp.<region>.amazonaws.com/<poolId>`: the `iss` of the pool's tokens. */
  public readonly issuer: string;
  /** The app client id: the `aud` of ID tokens, the `client_id` of access tokens. */
  public readonly audience: string;
  public readonly jwksUrl: string;

  constructor(scope: Construct, id: string, props: IdentityProps) {
    super(scope, id);
    const { stage } = props;
    this.userPool = new UserPool(this, 'UserPool', {
      userPoolName: `order-pipeline-${stage.name}`,
      selfSignUpEnabled: false,
      signInAliases: { username: true, email: true },
      passwordPolicy: {
        minLength: 12,
        requireLowercase: true,
        requireUppercase: true,
        requireDigits: true,
        requireSymbols: true,
        tempPasswordValidity: Duration.days(3),
      },
      mfa: stage.auth.requireMfa ? Mfa.REQUIRED : Mfa.OPTIONAL,
      mfaSecondFactor: { otp: true, sms: false },
      accountRecovery: AccountRecovery.EMAIL_ONLY,
      deletionProtection: !stage.destroyData,
      removalPolicy: stage.destroyData ? RemovalPolicy.DESTROY : RemovalPolicy.RETAIN,
    });
    this.client = this.userPool.addClient('ApiClient', {
      generateSecret: false,
      authFlows: { userPassword: true, userSrp: true },
      accessTokenValidity: Duration.hours(1),
      idTokenValidity: Duration.hours(1),
      preventUserExistenceErrors: true,
      ...(stage.auth.oauthCallbackUrls?.length
        ? {
            oAuth: {
              flows: { authorizationCodeGrant: true, implicitCodeGrant: false, clientCredentials: false },
              callbackUrls: [...stage.auth.oauthCallbackUrls],
              scopes: [OAuthScope.OPENID, OAuthScope.COGNITO_ADMIN],
            },
          }
        : { disableOAuth: true }),
    });
    this.issuer = `https://cognito-idp.${Stack.of(this).region}.amazonaws.com/${this.userPool.userPoolId}`;
    this.audience = this.client.userPoolClientId;
    this.jwksUrl = `${this.issuer}/.well-known/jwks.json`;

    // On the stack, so the keys are exactly these names (docs: SECURITY.md, quick start).
    new CfnOutput(Stack.of(this), IDENTITY_OUTPUTS.userPoolId, { value: this.userPool.userPoolId });
    new CfnOutput(Stack.of(this), IDENTITY_OUTPUTS.userPoolClientId, { value: this.client.userPoolClientId });
  }
}
