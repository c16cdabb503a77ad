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

export type Handler = (...args: unknown[]) => unknown;
export type ClassRef = abstract new (...args: never[]) => unknown;

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

function isGateway(metatype: ClassRef): boolean {
  return Reflect.getMetadata(GATEWAY_METADATA, metatype) === true;
}

/** A `@MessagePattern` / `@EventPattern` handler, or a gateway's `@SubscribeMessage` handler. */
export function isMessageHandler(handler: Handler, ofGateway: boolean): boolean {
  return ofGateway
    ? Reflect.getMetadata(MESSAGE_MAPPING_METADATA, handler) === true
    : Reflect.getMetadata(PATTERN_METADATA, handler) !== undefined;
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
    bindToHandlers(modules, {
      metadataKey: GUARDS_METADATA,
      boundKey: AUTO_GUARD_METADATA,
      enhancer: guard,
      kind: JwtAuthGuard,
      selects: isMessageHandler,
    });
  }
}

/** What {@link bindToHandlers} binds, and where. */
export interface HandlerBinding {
  /** `GUARDS_METADATA` or `INTERCEPTORS_METADATA`. */
  readonly metadataKey: string;
  /** Where the bound enhancer is remembered, so that a later app in the process replaces it. */
  readonly boundKey: string;
  readonly enhancer: object;
  /** A handler or class that already has an enhancer of this class (instance, class or subclass) is left as it is. */
  readonly kind: ClassRef;
  readonly selects: (handler: Handler, ofGateway: boolean) => boolean;
}

/**
 * Append an enhancer instance to the guards or interceptors of every selected handler of the app whose class and
 * handler have none of its kind. Nest reads them when microservices, gateways and resolvers set up their handlers,
 * after the app's instances are created.
 */
export function bindToHandlers(modules: ModulesContainer, binding: HandlerBinding): void {
  const { kind } = binding;
  const isSameKind = (one: unknown): boolean =>
    one instanceof kind || (typeof one === 'function' && (one === kind || one.prototype instanceof kind));
  const scanner = new MetadataScanner();
  for (const metatype of classesOf(modules, ['controllers', 'providers'])) {
    const gateway = isGateway(metatype);
    const onClass = (Reflect.getMetadata(binding.metadataKey, metatype) as unknown[] | undefined) ?? [];
    if (onClass.some(isSameKind)) continue;
    for (const handler of handlersOf(scanner, metatype)) {
      if (!binding.selects(handler, gateway)) continue;
      // An enhancer bound by an earlier app in this process (tests) is replaced, never kept.
      const previous: unknown = Reflect.getOwnMetadata(binding.boundKey, handler);
      const own = ((Reflect.getOwnMetadata(binding.metadataKey, handler) as unknown[] | undefined) ?? []).filter(
        (one) => one !== previous,
      );
      if (own.some(isSameKind)) continue;
      Reflect.defineMetadata(binding.metadataKey, [...own, binding.enhancer], handler);
      Reflect.defineMetadata(binding.boundKey, binding.enhancer, handler);
    }
  }
}
