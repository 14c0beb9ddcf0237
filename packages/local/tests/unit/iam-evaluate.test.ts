import { describe, expect, it } from 'vitest';
import { evaluateCondition } from '../../src/iam/conditions.ts';
import { evaluate } from '../../src/iam/evaluate.ts';
import { actionMatches, arnMatches, globMatch } from '../../src/iam/match.ts';
import { parsePolicyDocument, parseStatement, statementLabel } from '../../src/iam/policy.ts';

const TABLE = 'arn:aws:dynamodb:us-east-1:000000000000:table/heralddev-connections';
const BUCKET = 'arn:aws:s3:::heralddev-buckets-uploads';

const policy = (...statements: Record<string, unknown>[]) =>
  parsePolicyDocument({ Version: '2012-10-17', Statement: statements }, 'RolePolicy');

describe('IAM wildcard matching', () => {
  it('matches * across any run of characters and ? exactly one', () => {
    expect(globMatch('uploads/*', 'uploads/u1/a.csv')).toBe(true);
    expect(globMatch('uploads/*', 'uploads/')).toBe(true);
    expect(globMatch('uploads/*', 'reports/a.csv')).toBe(false);
    expect(globMatch('a?c', 'abc')).toBe(true);
    expect(globMatch('a?c', 'ac')).toBe(false);
    expect(globMatch('a.c', 'abc')).toBe(false);
  });

  it('compares actions case-insensitively, with wildcards in the action name', () => {
    expect(actionMatches('s3:GetObject', 's3:getobject')).toBe(true);
    expect(actionMatches('dynamodb:Get*', 'dynamodb:GetItem')).toBe(true);
    expect(actionMatches('dynamodb:Get*', 'dynamodb:PutItem')).toBe(false);
    expect(actionMatches('*', 'sqs:SendMessage')).toBe(true);
  });

  it('compares ARNs case-sensitively, the head segment by segment', () => {
    expect(arnMatches(`${BUCKET}/uploads/*`, `${BUCKET}/uploads/u1/a:b.csv`)).toBe(true);
    expect(arnMatches(`${BUCKET}/uploads/*`, `${BUCKET}/Uploads/a.csv`)).toBe(false);
    expect(arnMatches('arn:aws:dynamodb:*:*:table/heralddev-connections', TABLE)).toBe(true);
    // A table grant does not reach its indexes.
    expect(arnMatches(TABLE, `${TABLE}/index/byUser`)).toBe(false);
    // A wildcard region never swallows the account.
    expect(arnMatches('arn:aws:dynamodb:*:111111111111:table/*', TABLE)).toBe(false);
  });
});

describe('policy statements', () => {
  it('reads Action/Resource as lists and keeps the Sid', () => {
    const [s] = policy({ Sid: 'Put', Effect: 'Allow', Action: 'dynamodb:PutItem', Resource: TABLE });
    expect(s).toMatchObject({
      effect: 'Allow',
      actions: ['dynamodb:PutItem'],
      resources: [TABLE],
      problems: [],
    });
    expect(statementLabel(s?.ref ?? { policy: '', index: 0 })).toBe('RolePolicy#0 (Put)');
  });

  it('reports what it cannot evaluate instead of dropping it', () => {
    const s = parseStatement(
      { Effect: 'Allow', Action: 's3:GetObject', Resource: `${BUCKET}/\${aws:username}/*`, Principal: '*' },
      { policy: 'P', index: 0 },
      ['Resource: unmapped reference'],
    );
    expect(s.problems).toEqual([
      'Resource: unmapped reference',
      'Principal/NotPrincipal has no meaning in an identity-based policy',
      `policy variable in ${BUCKET}/\${aws:username}/* is not substituted locally`,
    ]);
  });
});

describe('condition blocks', () => {
  const context = { 'aws:SecureTransport': 'true', 'aws:RequestedRegion': 'us-east-1', 's3:prefix': [] };

  it('holds when every operator and key holds, any value of a key matching', () => {
    expect(
      evaluateCondition(
        {
          Bool: { 'aws:SecureTransport': ['true'] },
          StringEquals: { 'aws:RequestedRegion': ['eu-west-1', 'us-east-1'] },
        },
        context,
      ),
    ).toEqual({ met: true });
    expect(evaluateCondition({ StringNotEquals: { 'aws:RequestedRegion': ['us-east-1'] } }, context)).toEqual(
      {
        met: false,
      },
    );
  });

  it('treats a key known to be absent as AWS does: IfExists and Not… hold, plain tests fail', () => {
    expect(evaluateCondition({ StringLikeIfExists: { 's3:prefix': ['a/*'] } }, context)).toEqual({
      met: true,
    });
    expect(evaluateCondition({ StringLike: { 's3:prefix': ['a/*'] } }, context)).toEqual({ met: false });
    expect(evaluateCondition({ StringNotLike: { 's3:prefix': ['a/*'] } }, context)).toEqual({ met: true });
    expect(evaluateCondition({ Null: { 's3:prefix': ['true'] } }, context)).toEqual({ met: true });
  });

  it('is undecided for keys and operators the local stack does not know, never true', () => {
    expect(evaluateCondition({ IpAddress: { 'aws:SourceIp': ['10.0.0.0/8'] } }, context)).toEqual({
      undecided: 'condition key aws:SourceIp (IpAddress) is not known locally; AWS would evaluate it',
    });
    expect(evaluateCondition({ IpAddress: { 'aws:SecureTransport': ['x'] } }, context)).toEqual({
      undecided: 'condition operator IpAddress is not evaluated locally',
    });
    expect(
      evaluateCondition({ 'ForAnyValue:StringEquals': { 'aws:TagKeys': ['a'] } }, context),
    ).toMatchObject({ undecided: expect.stringContaining('set operator') });
  });

  it('is false when one test is false, even if another is undecided', () => {
    expect(
      evaluateCondition(
        { StringEquals: { 'aws:SourceVpc': ['vpc-1'] }, Bool: { 'aws:SecureTransport': ['false'] } },
        context,
      ),
    ).toEqual({ met: false });
  });
});

describe('evaluate', () => {
  it('allows what an Allow statement covers and names the pattern that covered it', () => {
    const statements = policy({
      Effect: 'Allow',
      Action: ['s3:GetObject'],
      Resource: [`${BUCKET}/uploads/*`],
    });
    expect(
      evaluate(statements, { action: 's3:GetObject', resource: `${BUCKET}/uploads/u1/a.csv` }),
    ).toMatchObject({
      effect: 'allow',
      actionPattern: 's3:GetObject',
      resourcePattern: `${BUCKET}/uploads/*`,
    });
  });

  it('denies implicitly what no statement covers (other action, other prefix)', () => {
    const statements = policy({ Effect: 'Allow', Action: 's3:GetObject', Resource: `${BUCKET}/uploads/*` });
    expect(evaluate(statements, { action: 's3:PutObject', resource: `${BUCKET}/uploads/a` }).effect).toBe(
      'implicit-deny',
    );
    expect(evaluate(statements, { action: 's3:GetObject', resource: `${BUCKET}/reports/a` }).effect).toBe(
      'implicit-deny',
    );
  });

  it('lets an explicit Deny win over any Allow', () => {
    const statements = policy(
      { Effect: 'Allow', Action: 'dynamodb:*', Resource: '*' },
      { Effect: 'Deny', Action: 'dynamodb:DeleteItem', Resource: TABLE },
    );
    expect(evaluate(statements, { action: 'dynamodb:DeleteItem', resource: TABLE })).toMatchObject({
      effect: 'explicit-deny',
      statement: { ref: { index: 1 } },
    });
    expect(evaluate(statements, { action: 'dynamodb:PutItem', resource: TABLE }).effect).toBe('allow');
  });

  it('handles NotAction and NotResource', () => {
    const statements = policy(
      { Effect: 'Allow', NotAction: 'dynamodb:DeleteItem', Resource: TABLE },
      { Effect: 'Deny', Action: 'dynamodb:*', NotResource: [TABLE] },
    );
    expect(evaluate(statements, { action: 'dynamodb:PutItem', resource: TABLE })).toMatchObject({
      effect: 'allow',
      actionPattern: 'NotAction',
    });
    expect(evaluate(statements, { action: 'dynamodb:DeleteItem', resource: TABLE }).effect).toBe(
      'implicit-deny',
    );
    expect(evaluate(statements, { action: 'dynamodb:PutItem', resource: `${TABLE}-other` }).effect).toBe(
      'explicit-deny',
    );
  });

  it('does not grant with an Allow it cannot decide, and says why', () => {
    const statements = policy({
      Effect: 'Allow',
      Action: 'dynamodb:PutItem',
      Resource: TABLE,
      Condition: { IpAddress: { 'aws:SourceIp': '10.0.0.0/8' } },
    });
    const decision = evaluate(statements, { action: 'dynamodb:PutItem', resource: TABLE });
    expect(decision).toMatchObject({
      effect: 'implicit-deny',
      undecided: [{ reason: expect.stringContaining('aws:SourceIp') }],
    });
  });

  it('applies a Deny it cannot decide (fails closed)', () => {
    const statements = policy(
      { Effect: 'Allow', Action: 'dynamodb:PutItem', Resource: TABLE },
      {
        Effect: 'Deny',
        Action: 'dynamodb:PutItem',
        Resource: '*',
        Condition: { StringNotEquals: { 'aws:SourceVpce': 'vpce-1' } },
      },
    );
    expect(evaluate(statements, { action: 'dynamodb:PutItem', resource: TABLE })).toMatchObject({
      effect: 'explicit-deny',
      undecided: expect.stringContaining('aws:SourceVpce'),
    });
  });

  it('evaluates conditions on keys it knows', () => {
    const statements = policy({
      Effect: 'Allow',
      Action: 'dynamodb:PutItem',
      Resource: TABLE,
      Condition: { Bool: { 'aws:SecureTransport': true } },
    });
    expect(
      evaluate(statements, { action: 'dynamodb:PutItem', resource: TABLE }, { 'aws:SecureTransport': 'true' })
        .effect,
    ).toBe('allow');
    expect(
      evaluate(
        statements,
        { action: 'dynamodb:PutItem', resource: TABLE },
        { 'aws:SecureTransport': 'false' },
      ).effect,
    ).toBe('implicit-deny');
  });
});
