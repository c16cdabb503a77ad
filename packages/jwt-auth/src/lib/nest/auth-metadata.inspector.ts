import { Injectable, type OnModuleInit } from '@nestjs/common';
import { GUARDS_METADATA } from '@nestjs/common/constants';
import { MetadataScanner, ModulesContainer, Reflector } from '@nestjs/core';
import { JwtAuthGuard } from './jwt-auth.guard';
import { findPublicConflict } from './route-requirements';

// Metadata keys of @nestjs/microservices and @nestjs/websockets, spelled out so those optional peers stay optional.
const PATTERN_METADATA = 'microservices:pattern';
const GATEWAY_METADATA = 'websockets:is_gateway';
const MESSAGE_MAPPING_METADATA = 'websockets:message_mapping';
const AUTO_GUARD_METADATA = 'nest-sso:jwt-auth:auto-guard';

type Handler = (...args: unknown[]) => unknown;
type ClassRef = abstract new (...args: never[]) => unknown;

function classesOf(modules: ModulesContainer, kinds: readonly ('controllers' | 'providers')[]): ClassRef[] {
  const classes = new Set<ClassRef>();
  for (const module of modules.values()) {
    for (const kind of kinds) {
      for (const wrapper of module[kind].values()) {
        const metatype: unknown = wrapper.metatype;
        if (typeof metatype === 'function' && metatype.prototype) classes.add(metatype as ClassRef);
      }
    }
  }
  return [...classes];
}

function handlersOf(scanner: MetadataScanner, metatype: ClassRef): Handler[] {
  const prototype = metatype.prototype as Record<string, unknown>;
  return scanner
    .getAllMethodNames(prototype)
    .map((name) => prototype[name])
    .filter((method): method is Handler => typeof method === 'function');
}

function isJwtAuthGuard(guard: unknown): boolean {
  return (
    guard instanceof JwtAuthGuard ||
    (typeof guard === 'function' && (guard === JwtAuthGuard || guard.prototype instanceof JwtAuthGuard))
  );
}

/**
 * Boot check of the auth decorators on every controller, gateway and resolver: `@Public()` together with a scope,
 * role or claim requirement on one handler (or one class) refuses to boot with a `JwtAuthConfigError` naming it.
 */
@Injectable()
export class AuthMetadataInspector implements OnModuleInit {
  constructor(
    private readonly modules: ModulesContainer,
    private readonly reflector: Reflector,
  ) {}

  onModuleInit(): void {
    const scanner = new MetadataScanner();
    for (const metatype of classesOf(this.modules, ['controllers', 'providers'])) {
      const classConflict = findPublicConflict(this.reflector, undefined, metatype);
      if (classConflict) throw classConflict;
      for (const handler of handlersOf(scanner, metatype)) {
        const conflict = findPublicConflict(this.reflector, handler, metatype);
        if (conflict) throw conflict;
      }
    }
  }
}

/**
 * With `globalGuard: true`, binds the module's `JwtAuthGuard` to every `@MessagePattern` / `@EventPattern` handler
 * and every gateway `@SubscribeMessage` handler that has no `JwtAuthGuard` of its own. Nest applies `APP_GUARD` to a
 * hybrid app's connected microservice only with `inheritAppConfig: true`, and never to gateways; without this those
 * handlers would run unguarded. Runs while the app's instances are created, before `connectMicroservice()` and the
 * gateways read the guards. Where `APP_GUARD` applies as well, the guard lets its second run on one message through
 * (it remembers the messages it passed), so a message is verified once.
 */
@Injectable()
export class MessageHandlerGuardBinder {
  constructor(modules: ModulesContainer, guard: JwtAuthGuard) {
    const scanner = new MetadataScanner();
    for (const metatype of classesOf(modules, ['controllers', 'providers'])) {
      const isGateway = Reflect.getMetadata(GATEWAY_METADATA, metatype) === true;
      const classGuards = (Reflect.getMetadata(GUARDS_METADATA, metatype) as unknown[] | undefined) ?? [];
      if (classGuards.some(isJwtAuthGuard)) continue;
      for (const handler of handlersOf(scanner, metatype)) {
        const isMessageHandler = isGateway
          ? Reflect.getMetadata(MESSAGE_MAPPING_METADATA, handler) === true
          : Reflect.getMetadata(PATTERN_METADATA, handler) !== undefined;
        if (!isMessageHandler) continue;
        // A guard bound by an earlier app in this process (tests) is replaced, never kept.
        const previous: unknown = Reflect.getOwnMetadata(AUTO_GUARD_METADATA, handler);
        const guards = ((Reflect.getOwnMetadata(GUARDS_METADATA, handler) as unknown[] | undefined) ?? []).filter(
          (g) => g !== previous,
        );
        if (guards.some(isJwtAuthGuard)) continue;
        Reflect.defineMetadata(GUARDS_METADATA, [...guards, guard], handler);
        Reflect.defineMetadata(AUTO_GUARD_METADATA, guard, handler);
      }
    }
  }
}
