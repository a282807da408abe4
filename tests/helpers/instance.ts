/** Running denoray in-process on a config object, for end-to-end tests. */
import { Instance, type InstanceOptions, type ReloadReport } from "../../lib/app/instance.ts";
import { loadConfigObject } from "../../lib/config/mod.ts";
import { silentLogger } from "../../lib/log/mod.ts";
import type { Logger } from "../../lib/log/mod.ts";

/** A started instance that stops when disposed. */
export class RunningInstance implements AsyncDisposable {
  readonly instance: Instance;

  private constructor(instance: Instance) {
    this.instance = instance;
  }

  /** Validates `config` (throws on errors), starts it and waits until it listens. */
  static async start(
    config: unknown,
    logger: Logger = silentLogger,
    options: InstanceOptions = {},
  ): Promise<RunningInstance> {
    const { config: c } = loadConfigObject(config);
    const instance = new Instance(c, logger, options);
    await instance.start();
    return new RunningInstance(instance);
  }

  /** Validates `config` (throws on errors) and reloads the instance with it. */
  reload(config: unknown): Promise<ReloadReport> {
    return this.instance.reload(loadConfigObject(config).config);
  }

  /** The TCP port of the listener whose address line contains `tag`'s n-th address. */
  port(index = 0): number {
    const a = this.instance.addresses()[index];
    const m = a?.match(/:(\d+)$/);
    if (!m) throw new Error(`no listener #${index}: ${this.instance.addresses().join(", ")}`);
    return Number(m[1]);
  }

  /** The TCP port of the first listener of the inbound tagged `tag`. */
  portOf(tag: string): number {
    const a = this.instance.inbound(tag)?.addresses()[0];
    const m = a?.match(/:(\d+)$/);
    if (!m) throw new Error(`no listener for inbound ${tag}`);
    return Number(m[1]);
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.instance.stop(0);
  }
}
