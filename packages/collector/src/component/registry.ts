import type { ComponentFactory, ConnectorFactory, ComponentKind, ExporterFactory, ExtensionFactory, ProcessorFactory, ReceiverFactory } from './component.js';

type FactoryOf<K extends ComponentKind> = K extends 'receiver'
  ? ReceiverFactory
  : K extends 'processor'
    ? ProcessorFactory
    : K extends 'exporter'
      ? ExporterFactory
      : K extends 'connector'
        ? ConnectorFactory
        : ExtensionFactory;

/** The component types a collector build knows, by kind. */
export class ComponentRegistry {
  private readonly factories = new Map<string, ComponentFactory>();

  register(factory: ComponentFactory): this {
    const key = `${factory.kind}:${factory.type}`;
    if (this.factories.has(key)) throw new Error(`${factory.kind} type "${factory.type}" registered twice`);
    this.factories.set(key, factory);
    return this;
  }

  get<K extends ComponentKind>(kind: K, type: string): FactoryOf<K> | undefined {
    return this.factories.get(`${kind}:${type}`) as FactoryOf<K> | undefined;
  }

  types(kind: ComponentKind): string[] {
    const out: string[] = [];
    for (const factory of this.factories.values()) if (factory.kind === kind) out.push(factory.type);
    return out.sort();
  }
}
