import { Duration, type RemovalPolicy, Stack } from 'aws-cdk-lib';
import {
  AccountRecovery,
  CfnUserPoolGroup,
  FeaturePlan,
  Mfa,
  StandardThreatProtectionMode,
  UserPool,
  type UserPoolClient,
} from 'aws-cdk-lib/aws-cognito';
import { Construct } from 'constructs';
import { acknowledge } from '../nag.ts';

/** The Cognito groups Herald authorizes by (file grants, admin actions). */
export const USER_GROUPS = ['analysts', 'admins'] as const;

export interface AuthProps {
  /** @default 'optional' */
  readonly mfa?: 'optional' | 'required';
  /** Cognito threat protection (Plus feature plan). @default false */
  readonly threatProtection?: boolean;
  readonly removalPolicy: RemovalPolicy;
  /** @default false */
  readonly deletionProtection?: boolean;
}

/**
 * Cognito: the user pool (administrators create users; no self sign-up), one public app client
 * for the SDK and web app (SRP sign-in, no client secret in a browser), and the groups.
 */
export class Auth extends Construct {
  readonly userPool: UserPool;
  readonly client: UserPoolClient;

  constructor(scope: Construct, id: string, props: AuthProps) {
    super(scope, id);
    const mfaRequired = props.mfa === 'required';
    const threatProtection = props.threatProtection ?? false;
    this.userPool = new UserPool(this, 'UserPool', {
      selfSignUpEnabled: false,
      signInAliases: { username: true, email: true },
      signInCaseSensitive: false,
      standardAttributes: { email: { required: true, mutable: true } },
      mfa: mfaRequired ? Mfa.REQUIRED : Mfa.OPTIONAL,
      mfaSecondFactor: { otp: true, sms: false },
      passwordPolicy: {
        minLength: 12,
        requireLowercase: true,
        requireUppercase: true,
        requireDigits: true,
        requireSymbols: true,
        tempPasswordValidity: Duration.days(3),
      },
      accountRecovery: AccountRecovery.EMAIL_ONLY,
      featurePlan: threatProtection ? FeaturePlan.PLUS : FeaturePlan.ESSENTIALS,
      ...(threatProtection && { standardThreatProtectionMode: StandardThreatProtectionMode.FULL_FUNCTION }),
      deletionProtection: props.deletionProtection ?? false,
      removalPolicy: props.removalPolicy,
    });
    if (!mfaRequired) {
      acknowledge(
        this.userPool,
        'AwsSolutions-COG2',
        'MFA (TOTP) is optional only in the dev environment, whose users are developers and test accounts; ' +
          'prod requires it (lib/config.ts).',
      );
    }
    if (!threatProtection) {
      acknowledge(
        this.userPool,
        'AwsSolutions-COG8',
        'The Plus feature plan (threat protection, billed per MAU) is enabled in prod only; dev has no real users.',
      );
    }

    this.client = this.userPool.addClient('AppClient', {
      generateSecret: false,
      authFlows: {
        userSrp: true,
        // Server-side only (needs IAM credentials): the post-deploy smoke test signs in with it.
        adminUserPassword: true,
      },
      preventUserExistenceErrors: true,
      enableTokenRevocation: true,
      accessTokenValidity: Duration.hours(1),
      idTokenValidity: Duration.hours(1),
      refreshTokenValidity: Duration.days(30),
    });

    for (const group of USER_GROUPS) {
      new CfnUserPoolGroup(this, `Group-${group}`, {
        userPoolId: this.userPool.userPoolId,
        groupName: group,
        description: `Herald ${group}`,
      });
    }
  }

  /** `https://cognito-idp.<region>.amazonaws.com/<poolId>`: the `iss` of its tokens. */
  get issuer(): string {
    return `https://cognito-idp.${Stack.of(this).region}.${Stack.of(this).urlSuffix}/${this.userPool.userPoolId}`;
  }

  /** The user pool's signing keys. */
  get jwksUri(): string {
    return `${this.issuer}/.well-known/jwks.json`;
  }
}
