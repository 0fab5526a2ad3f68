import { describe, expect, it, vi } from "vitest";
import {
  DataError,
  fromRows,
  loadData,
  parseCsv,
  parseJson,
} from "../src/data";

describe("data loading", () => {
  it("parses CSV with a header, trimming and converting numbers", () => {
    expect(parseCsv("label,value\ntodo, 5\ndone,7.5\n")).toEqual([
      { label: "todo", value: 5 },
      { label: "done", value: 7.5 },
    ]);
    expect(parseCsv("status,count\nopen,3", "status", "count")).toEqual([
      { label: "open", value: 3 },
    ]);
  });

  it("names the line of a bad CSV row and a missing column", () => {
    expect(() => parseCsv("label,value\na,1\nb,lots\n")).toThrow(
      /line 3: the value of "b" is not a number/,
    );
    expect(() => parseCsv("name,value\na,1")).toThrow(
      /line 1: no "label" column \(columns: name, value\)/,
    );
    expect(() => parseCsv("label,value\n,1")).toThrow(DataError);
  });

  it("parses JSON arrays and refuses other JSON", () => {
    expect(parseJson('[{"label":"a","value":1}]')).toEqual([
      { label: "a", value: 1 },
    ]);
    expect(() => parseJson('{"label":"a"}')).toThrow(/not an array/);
    expect(() => parseJson("[{")).toThrow(/not JSON/);
    expect(() => fromRows([{ label: "a", value: null }])).toThrow(
      /line 1: the value of "a"/,
    );
  });

  it("loads from a URL by content type or extension", async () => {
    const reply = (body: string, type: string, status = 200) =>
      vi.fn(
        async () =>
          new Response(body, { status, headers: { "content-type": type } }),
      );
    expect(
      await loadData("/v1/analytics", {
        fetch: reply('[{"label":"x","value":2}]', "application/json"),
      }),
    ).toEqual([{ label: "x", value: 2 }]);
    expect(
      await loadData("/data.csv", {
        fetch: reply("label,value\ny,3", "application/octet-stream"),
      }),
    ).toEqual([{ label: "y", value: 3 }]);
    await expect(
      loadData("/missing.json", { fetch: reply("", "text/plain", 404) }),
    ).rejects.toThrow(/HTTP 404/);
    await expect(
      loadData("/what", { fetch: reply("?", "text/plain") }),
    ).rejects.toThrow(/neither CSV nor JSON/);
  });
});
