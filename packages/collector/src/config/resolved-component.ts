import type { ComponentFactory, ComponentKind } from '../component/component.js';

/** One configured component: its id, its factory, and its config as the factory's schema parsed it. */
export interface ResolvedComponent {
  /** `type` or `type/name`. */
  id: string;
  kind: ComponentKind;
  factory: ComponentFactory;
  /** Output of the factory's schema: defaults applied, values parsed. */
  config: unknown;
}
