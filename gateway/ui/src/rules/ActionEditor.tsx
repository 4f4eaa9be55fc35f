import { Checkbox, Group, Select, TextInput } from "@mantine/core";

export interface ActionField { ruleType: string; name: string; type: string; choices?: string[] | null }
type ActionDoc = Record<string, unknown>;

const LABELS: Record<string, string> = {
  points_per_unit: "Points per currency unit", points_per_item: "Points per item", fixed_bonus: "Fixed bonus",
  multiplier: "Multiplier (number or tier)", rounding: "Rounding", point_type: "Point type", expiry_days: "Expiry days",
  cap_per_transaction: "Cap per transaction", cap_per_day: "Cap per day", cap_per_member: "Cap per member",
  items: "Only these items", min_points: "Min points", max_points: "Max points", max_percent: "Max % of amount",
  percent_off: "% off", amount_off: "Amount off", max_amount: "Max amount", min_amount: "Min amount",
  per_unit: "Per unit", event: "Event",
};

function list(text: string): string[] {
  return text.split(",").map((s) => s.trim()).filter(Boolean);
}

// A rule's action as a form of the engine's action keys for its type (from ruleVocabulary).
export function ActionEditor({ fields, ruleType, value, onChange, testPrefix }: {
  fields: ActionField[]; ruleType: string; value: ActionDoc; onChange: (next: ActionDoc) => void; testPrefix: string;
}) {
  const set = (name: string, v: unknown) => {
    const next = { ...value };
    if (v === "" || v === undefined || v === null || (Array.isArray(v) && !v.length)) delete next[name];
    else next[name] = v;
    onChange(next);
  };
  const numeric = (name: string, raw: string, integer: boolean) => {
    if (raw.trim() === "") return set(name, undefined);
    const n = Number(raw);
    set(name, Number.isFinite(n) && (!integer || Number.isInteger(n)) ? n : raw); // the API names a bad value
  };
  return (
    <Group gap="sm" align="end">
      {fields.filter((f) => f.ruleType === ruleType).map((f) => {
        const label = LABELS[f.name] ?? f.name;
        const testId = `${testPrefix}-${f.name}`;
        if (f.type === "choice") {
          return <Select key={f.name} label={label} w={150} clearable data={f.choices ?? []} value={(value[f.name] as string) ?? null} onChange={(v) => set(f.name, v ?? undefined)} data-testid={testId} />;
        }
        if (f.type === "boolean") {
          return <Checkbox key={f.name} label={label} checked={Boolean(value[f.name])} onChange={(e) => set(f.name, e.currentTarget.checked || undefined)} />;
        }
        if (f.type === "items") {
          const items = (value.items ?? {}) as { skus?: string[]; categories?: string[] };
          return (
            <Group key={f.name} gap="xs">
              <TextInput label="Item SKUs" w={160} defaultValue={(items.skus ?? []).join(", ")} onBlur={(e) => set("items", clean({ ...items, skus: list(e.currentTarget.value) }))} />
              <TextInput label="Item categories" w={160} defaultValue={(items.categories ?? []).join(", ")} onBlur={(e) => set("items", clean({ ...items, categories: list(e.currentTarget.value) }))} />
            </Group>
          );
        }
        const current = value[f.name];
        return (
          <TextInput
            key={f.name} label={label} w={150} data-testid={testId} defaultValue={current === undefined ? "" : String(current)}
            onChange={(e) => {
              const raw = e.currentTarget.value;
              if (f.type === "multiplier" && raw.trim() === "tier") return set(f.name, "tier");
              if (f.type === "string") return set(f.name, raw);
              numeric(f.name, raw, f.type === "integer");
            }}
          />
        );
      })}
    </Group>
  );
}

function clean(items: { skus?: string[]; categories?: string[] }) {
  const out: Record<string, string[]> = {};
  if (items.skus?.length) out.skus = items.skus;
  if (items.categories?.length) out.categories = items.categories;
  return Object.keys(out).length ? out : undefined;
}
