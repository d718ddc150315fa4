interface Node<K, V> {
  key: K;
  value: V;
  /** Towards the least recently used end. */
  older: Node<K, V> | undefined;
  /** Towards the most recently used end. */
  newer: Node<K, V> | undefined;
}

/**
 * A bounded map that forgets its least recently used entry when full. The recency order is a
 * linked list beside the Map rather than the Map's own insertion order: finding a Map's first
 * key walks every slot its deletions left behind, which at 100,000 entries under churn costs
 * over 100 µs per insert; the list makes every operation O(1).
 *
 * `get` and `set` make an entry the most recent; `peek`, `has` and `replace` leave the order
 * alone, so the map also serves as an insertion-ordered map whose oldest entry is found in O(1).
 */
export class LruMap<K, V> {
  private readonly entries = new Map<K, Node<K, V>>();
  private oldestNode: Node<K, V> | undefined;
  private newestNode: Node<K, V> | undefined;

  /** `capacity` Infinity: never evicts by itself (the owner evicts with `deleteOldest`). */
  constructor(readonly capacity: number = Infinity) {}

  get size(): number {
    return this.entries.size;
  }

  get(key: K): V | undefined {
    const node = this.entries.get(key);
    if (node === undefined) return undefined;
    this.unlink(node);
    this.append(node);
    return node.value;
  }

  peek(key: K): V | undefined {
    return this.entries.get(key)?.value;
  }

  has(key: K): boolean {
    return this.entries.has(key);
  }

  set(key: K, value: V): void {
    if (this.capacity <= 0) return;
    const existing = this.entries.get(key);
    if (existing !== undefined) {
      existing.value = value;
      this.unlink(existing);
      this.append(existing);
      return;
    }
    const node: Node<K, V> = { key, value, older: undefined, newer: undefined };
    this.entries.set(key, node);
    this.append(node);
    if (this.entries.size > this.capacity) this.deleteOldest();
  }

  /** Sets the value of a present key without making it the most recent; false when absent. */
  replace(key: K, value: V): boolean {
    const node = this.entries.get(key);
    if (node === undefined) return false;
    node.value = value;
    return true;
  }

  delete(key: K): boolean {
    const node = this.entries.get(key);
    if (node === undefined) return false;
    this.unlink(node);
    return this.entries.delete(key);
  }

  /** The least recent entry's key, or undefined when empty. */
  oldestKey(): K | undefined {
    return this.oldestNode?.key;
  }

  /** The least recent entry's value, or undefined when empty. */
  oldestValue(): V | undefined {
    return this.oldestNode?.value;
  }

  /** Forgets the least recent entry; returns its key, or undefined when empty. */
  deleteOldest(): K | undefined {
    const oldest = this.oldestNode;
    if (oldest === undefined) return undefined;
    this.unlink(oldest);
    this.entries.delete(oldest.key);
    return oldest.key;
  }

  clear(): void {
    this.entries.clear();
    this.oldestNode = undefined;
    this.newestNode = undefined;
  }

  private append(node: Node<K, V>): void {
    node.older = this.newestNode;
    node.newer = undefined;
    if (this.newestNode === undefined) this.oldestNode = node;
    else this.newestNode.newer = node;
    this.newestNode = node;
  }

  private unlink(node: Node<K, V>): void {
    if (node.older === undefined) this.oldestNode = node.newer;
    else node.older.newer = node.newer;
    if (node.newer === undefined) this.newestNode = node.older;
    else node.newer.older = node.older;
    node.older = undefined;
    node.newer = undefined;
  }
}
