import { createHash } from 'node:crypto';
import { Controller, Get, HttpCode, Post, Query } from '@nestjs/common';
import { AccessToken, AnyScope, CurrentUser, OptionalAuth, Public, Scopes, type AuthPrincipal } from '../src';

/** Fingerprint, so a test can check which token reached the handler without echoing one. */
export const fingerprint = (token: string): string => createHash('sha256').update(token).digest('hex');

/** Tokens and header values that must each get a 4xx (never 2xx, never 5xx). */
export function garbageCredentials(validToken: string): string[] {
  const [h, p, s] = validToken.split('.');
  const b64 = (v: unknown) => Buffer.from(typeof v === 'string' ? v : JSON.stringify(v)).toString('base64url');
  const deep = `{"iss":${'['.repeat(5000)}${']'.repeat(5000)}}`;
  return [
    'Bearer',
    'Bearer ',
    'Bearer a.b.c',
    'Bearer ..',
    'Bearer x',
    `Bearer ${h}.${p}`,
    `Bearer ${h}.${p}.`,
    `Bearer ${h}.${p}.${s}.x.y`,
    `Bearer ${h}.${p}.${s}x`,
    `Bearer ${b64({ alg: 'none' })}.${p}.`,
    `Bearer ${b64({ alg: 'none', typ: 'JWT' })}.${p}.${s}`,
    `Bearer ${b64({ alg: 'HS256' })}.${p}.${s}`,
    `Bearer ${b64('{"alg":"RS256","alg":"none"}')}.${p}.${s}`,
    `Bearer ${b64('[]')}.${p}.${s}`,
    `Bearer ${b64('null')}.${p}.${s}`,
    `Bearer ${b64({ alg: 'RS256', crit: ['exp'] })}.${p}.${s}`,
    `Bearer ${b64({ alg: 'RS256', jku: 'http://127.0.0.1:1/jwks' })}.${p}.${s}`,
    `Bearer ${h}.${b64(deep)}.${s}`,
    `Bearer ${h}.${b64('{"iss":{"toString":1},"exp":1e400}')}.${s}`,
    `Bearer ${h}.${b64('\uFEFF{}')}.${s}`,
    `Bearer ${'A'.repeat(9000)}.${p}.${s}`,
    `Bearer ${h}.${p}.${s}, Bearer ${h}.${p}.${s}`,
    `Bearer  ${h}.${p}.${s} extra`,
    `Basic ${Buffer.from('user:pass').toString('base64')}`,
    `Bearer ${h}=.${p}.${s}`,
    `Bearer ${h} .${p}.${s}`,
    `bearer ${h}.${p}.%00`,
    `Bearer ${h}.${p}.${'_'.repeat(342)}`,
  ];
}

@Controller('orders')
@Scopes('orders:read')
export class OrdersController {
  @Get()
  list(@CurrentUser() user: AuthPrincipal, @CurrentUser('sub') sub: string, @CurrentUser('tenant') tenant: unknown) {
    return {
      sub,
      subject: user.subject,
      issuer: user.issuer,
      scopes: user.scopes,
      tenant: tenant ?? null,
      alg: user.header.alg,
    };
  }

  @Post()
  @HttpCode(201)
  @Scopes('orders:write')
  create(@CurrentUser('sub') sub: string) {
    return { created: true, by: sub };
  }

  @Get('admin')
  @AnyScope('orders:admin', 'support')
  admin() {
    return { admin: true };
  }

  @Get('health')
  @Public()
  health() {
    return { status: 'ok' };
  }

  @Get('relay')
  relay(@AccessToken() token: string) {
    return { fingerprint: fingerprint(token) };
  }
}

@Controller('catalog')
@Public()
export class CatalogController {
  @Get()
  list(@CurrentUser() user: AuthPrincipal | undefined) {
    return { items: ['a', 'b'], user: user ?? null };
  }
}

@Controller('me')
export class MeController {
  @Get()
  @OptionalAuth()
  me(@CurrentUser() user: AuthPrincipal | undefined, @AccessToken() token: string | undefined) {
    return { anonymous: user === undefined, sub: user?.subject ?? null, hasToken: token !== undefined };
  }

  @Get('strict')
  whoami(@CurrentUser('sub') sub: string) {
    return { sub };
  }

  @Get('query')
  query(@Query('access_token') raw: string | undefined, @CurrentUser('sub') sub: string) {
    return { sub, viaQuery: raw !== undefined };
  }
}
