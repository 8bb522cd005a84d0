/**
 * Per-scheduling-cycle state: plugins write what they precompute in
 * PreFilter/PreScore under a typed key and read it back in Filter/Score.
 * A fresh CycleState is made for every attempt to schedule a pod.
 */

/** A typed key; the phantom `T` ties reads to what was written. */
export interface StateKey<T> {
  readonly name: string;
  /** Never set; carries the value type. */
  readonly __type?: T;
}

export function stateKey<T>(name: string): StateKey<T> {
  return { name };
}

export class CycleState {
  private readonly data = new Map<StateKey<unknown>, unknown>();
  /** Filter plugins whose PreFilter returned Skip: their Filter is not called this cycle. */
  readonly skipFilterPlugins = new Set<string>();
  /** Score plugins whose PreScore returned Skip. */
  readonly skipScorePlugins = new Set<string>();

  write<T>(key: StateKey<T>, value: T): void {
    this.data.set(key as StateKey<unknown>, value);
  }

  read<T>(key: StateKey<T>): T | undefined {
    return this.data.get(key as StateKey<unknown>) as T | undefined;
  }

  /**
   * Reads state a plugin's own PreFilter/PreScore must have written; a
   * missing value is a fault in the framework, not an outcome.
   */
  mustRead<T>(key: StateKey<T>): T {
    const v = this.data.get(key as StateKey<unknown>);
    if (v === undefined) throw new Error(`error reading "${key.name}" from cycleState: not found`);
    return v as T;
  }
}
