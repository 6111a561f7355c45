/**
 * The reference driver: answers the pipeline's rule requests with json-rules-engine's own `Engine`,
 * so the baseline runs exactly the same stage code and rules as the compiled evaluators.
 */
import { Engine } from 'json-rules-engine';
import type { EspRules, RuleReply, RuleRequest, Steps } from '../engine/index.js';
import type { RuleSection } from '../engine/index.js';

export class JreDriver {
  private readonly engines = new Map<RuleSection, { engine: Engine; indexOf: Map<string, number> }>();

  constructor(readonly rules: EspRules) {
    for (const [section, list] of Object.entries(rules.lists) as [RuleSection, EspRules['lists'][RuleSection]][]) {
      const engine = new Engine([], { allowUndefinedFacts: false });
      const indexOf = new Map<string, number>();
      list.rules.forEach((r, i) => {
        const { name, priority, conditions, event } = r.rule;
        engine.addRule({ name, priority, conditions: conditions as never, event });
        indexOf.set(name, i);
      });
      this.engines.set(section, { engine, indexOf });
    }
  }

  async answer(req: RuleRequest): Promise<RuleReply> {
    const { engine, indexOf } = this.engines.get(req.list)!;
    const { results } = await engine.run(req.facts);
    const passed = results.map((r) => indexOf.get(String(r.name))!).sort((a, b) => a - b);
    return this.rules.lists[req.list].mode === 'first' ? passed.slice(0, 1) : passed;
  }

  async run<T>(steps: Steps<T>): Promise<T> {
    let next = steps.next([]);
    while (!next.done) next = steps.next(await this.answer(next.value));
    return next.value;
  }
}
