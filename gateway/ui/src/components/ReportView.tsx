import "@mantine/charts/styles.css";
import { BarChart } from "@mantine/charts";
import { Button, Card, Group, Table, Title } from "@mantine/core";
import { downloadCsv } from "../csv";
import { Empty } from "./States";

export interface Column { key: string; label: string; numeric?: boolean }

// A report as every report screen shows it: a bar chart, the same rows as a table, and the rows as CSV.
export function ReportView(props: {
  name: string; title: string; columns: Column[]; rows: Record<string, string | number | null | undefined>[];
  chartKey: string; series: { name: string; label?: string; color: string }[]; empty?: string; total?: React.ReactNode;
}) {
  const { rows, columns } = props;
  return (
    <Card withBorder data-testid={`report-${props.name}`}>
      <Group justify="space-between" mb="sm">
        <Title order={4}>{props.title}</Title>
        <Button size="xs" variant="default" data-testid="report-csv" disabled={rows.length === 0}
          onClick={() => downloadCsv(`${props.name}.csv`, columns.map((c) => c.key), rows)}>
          Download CSV
        </Button>
      </Group>
      {rows.length === 0 ? <Empty>{props.empty ?? "Nothing in this range."}</Empty> : (
        <>
          <BarChart
            h={240} dataKey={props.chartKey} data-testid="report-chart" data={rows}
            series={props.series.map((s) => ({ name: s.name, label: s.label, color: s.color }))}
          />
          <Table striped mt="md" data-testid="report-table">
            <Table.Thead><Table.Tr>{columns.map((c) => <Table.Th key={c.key} ta={c.numeric ? "right" : undefined}>{c.label}</Table.Th>)}</Table.Tr></Table.Thead>
            <Table.Tbody>
              {rows.map((r, i) => (
                <Table.Tr key={i}>{columns.map((c) => <Table.Td key={c.key} ta={c.numeric ? "right" : undefined}>{r[c.key] ?? ""}</Table.Td>)}</Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
          {props.total}
        </>
      )}
    </Card>
  );
}
