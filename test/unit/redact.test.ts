import { inspect } from "node:util";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { jsonErrorLocation } from "../../src/util/json.js";
import { configurationSecrets, connectorSecrets, isSecretKey, secretsBySchema } from "../../src/util/secrets.js";
import { Redactor } from "../../src/util/redactor.js";
import { stripEscapes } from "../../src/ui/output.js";
import { LineRelay } from "../../src/util/line-relay.js";

describe("isSecretKey: which configuration keys hold credentials", () => {
  const secret = [
    "token", "api_token", "apiKey", "APIKey", "x-api-key", "api.key", "client_secret", "clientSecret", "password", "db_password", "dbPassword",
    "passwd", "pwd", "passphrase", "auth", "authorization", "credentials", "private_key", "privateKey", "access_key", "access_key_id",
    "aws_secret_access_key", "secret", "refresh_token", "accessToken", "bearer", "jwt", "ssh_key", "key", "session_cookie", "dsn",
    "webhook_secret", "encryptionKey", "githubtoken", "apikey", "secret key",
  ];
  const ordinary = [
    "monkey", "turkey", "hockey", "keyboard", "keyword", "author", "tokenizer", "max_tokens", "primary_key", "partition_key", "sort_key",
    "cursor_key", "key_column", "token_url", "auth_type", "auth_url", "password_file", "secret_name", "private_key_path", "public_key",
    "base_url", "user", "username", "client_id", "oauth_client_id", "page_size", "api_version", "account_id", "",
  ];
  it.each(secret)("%s is secret", (key) => expect(isSecretKey(key)).toBe(true));
  it.each(ordinary)("%s is not secret", (key) => expect(isSecretKey(key)).toBe(false));
});

describe("configurationSecrets", () => {
  it("takes values under secret-looking keys at any depth, whole subtrees under a secret key, and numbers", () => {
    const found = configurationSecrets(undefined, {
      base_url: "https://api.example.com",
      api_token: "tok_9f8e7d6c5b4a",
      nested: { db: { password: "hunter2hunter2" } },
      credentials: { user: "someone@example.com", pin: 987654 },
    });
    expect(found.sort()).toEqual(["987654", "hunter2hunter2", "someone@example.com", "tok_9f8e7d6c5b4a"]);
  });

  it("takes each value inside a secret that is itself JSON, such as a service account's key file", () => {
    const key = JSON.stringify({ type: "service_account", private_key: "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBg\n-----END PRIVATE KEY-----\n", client_email: "sync@proj.iam.example.com" });
    const found = configurationSecrets(undefined, { credentials_json: key });
    expect(found).toEqual(expect.arrayContaining([key, "service_account", "sync@proj.iam.example.com", "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBg\n-----END PRIVATE KEY-----\n"]));
  });

  it("takes the password of a connection string in any value, even one typed with @, /, ? or # unencoded", () => {
    for (const password of ["hunter22", "p@ss-word", "s3cr#et99", "s3cr/et99", "a@b/c?d#e", "pa%zzword"]) {
      const dsn = `postgres://etl:${password}@db.internal:5432/ware?schema=s`;
      const redactor = new Redactor(configurationSecrets(undefined, { url: dsn, notes: `see ${dsn} here` }));
      const shown = redactor.text(`connecting to ${dsn}`);
      expect(shown).not.toContain(password);
      expect(shown).toContain("db.internal:5432/ware");
    }
    // A value that is one URL, whose user name holds @ or a space, or whose password holds a space.
    for (const dsn of ["postgres://etl@srv:hunter22@db.internal/ware", "postgres://e tl:hunter22@db.internal/ware", "postgres://etl:hun ter22@db.internal/ware"]) {
      const shown = new Redactor(configurationSecrets(undefined, { database_url: dsn })).text(`connecting to ${dsn}`);
      expect(shown).not.toMatch(/hunter22|hun ter22/);
      expect(shown).toContain("db.internal/ware");
    }
  });

  it("takes the password of ADO.NET, ODBC, libpq and JDBC connection strings, and nothing else of them", () => {
    expect(configurationSecrets(undefined, { a: "Server=db;User Id=loader;Password=s3cr3t pass;Encrypt=true" })).toEqual(["s3cr3t pass"]);
    expect(configurationSecrets(undefined, { a: "Driver={ODBC 18};Server=db;Uid=u;Pwd={br@ce;d}" })).toEqual(["br@ce;d"]);
    expect(configurationSecrets(undefined, { a: "host=db user=loader password='two words' dbname=app" })).toEqual(["two words"]);
    expect(configurationSecrets(undefined, { a: "jdbc:postgresql://db/app?user=loader&password=p%40ss99&ssl=true" })).toEqual(["p%40ss99", "p@ss99"]);
    expect(configurationSecrets(undefined, { a: "AccountName=acct;AccountKey=QmFzZTY0;EndpointSuffix=core.windows.net" })).toEqual(["QmFzZTY0"]);
    expect(configurationSecrets(undefined, { filter: "status=open;owner=me", query: "?page=2&sort=asc", notes: "host=db user=loader" })).toEqual([]);
  });

  it("ignores values shorter than 4 characters and settings such as true or none", () => {
    expect(configurationSecrets(undefined, { api_key: "abc", auth_enabled: "true", auth: "none", token: "abcd" })).toEqual(["abcd"]);
  });

  it("takes the fields a zod schema marks with .meta({ secret: true }), through optional, default, nullable, arrays and records", () => {
    const schema = z.object({
      base_url: z.string(),
      connection: z.string().meta({ secret: true }),
      nested: z.object({ pin: z.coerce.number().meta({ secret: true }).optional(), label: z.string() }).default({ label: "x" }),
      maybe: z.string().meta({ secret: true }).nullable(),
      list: z.array(z.object({ sig: z.string().meta({ secret: true }) })),
      byName: z.record(z.string(), z.string().meta({ secret: true })),
      whole: z.object({ a: z.string(), b: z.string() }).meta({ secret: true }),
    });
    const value = {
      base_url: "https://api.example.com",
      connection: "pg://u:p@host/db",
      nested: { pin: "123456", label: "ordinary label" },
      maybe: "maybe-secret",
      list: [{ sig: "signature-one" }, { sig: "signature-two" }],
      byName: { alpha: "alpha-value" },
      whole: { a: "whole-a-value", b: "whole-b-value" },
    };
    expect([...secretsBySchema(schema, value)].sort()).toEqual(
      ["123456", "alpha-value", "maybe-secret", "pg://u:p@host/db", "signature-one", "signature-two", "whole-a-value", "whole-b-value"].sort(),
    );
  });

  it("finds the validated values too: a default or a coerced number", async () => {
    const schema = z.object({ key: z.string().default("built-in-default-key"), pin: z.coerce.number().meta({ secret: true }) });
    expect((await connectorSecrets(schema, { pin: "00424242" })).sort()).toEqual(["00424242", "424242", "built-in-default-key"]);
  });

  it("reads no mark from a schema without the Standard JSON Schema interface, and does not throw", () => {
    const bare = { "~standard": { version: 1, vendor: "x", validate: (v: unknown) => ({ value: v }) } };
    expect([...secretsBySchema(bare, { a: "longvalue" })]).toEqual([]);
    expect([...secretsBySchema(z.object({ d: z.date().meta({ secret: true }) }), { d: "2024-01-01" })]).toEqual(["2024-01-01"]);
  });
});

describe("Redactor", () => {
  const secret = "tok_9f8e7d6c5b4a";
  const r = new Redactor([secret, 'p@ss"w\\ord9', "-----BEGIN KEY-----\nAAAABBBBCCCCDDDD\n-----END KEY-----", "abc"]);

  it("replaces a secret wherever it appears in text", () => {
    expect(r.text(`INT needs an integer, got "${secret}" (${secret})`)).toBe('INT needs an integer, got "***" (***)');
  });

  it("replaces it JSON-escaped, JSON-escaped twice, and URL-encoded", () => {
    const quoted = 'p@ss"w\\ord9';
    expect(r.text(JSON.stringify({ a: quoted }))).toBe('{"a":"***"}');
    expect(r.text(JSON.stringify(JSON.stringify({ a: quoted })))).toBe(JSON.stringify(JSON.stringify({ a: "***" })));
    expect(r.text(`GET /x?t=${encodeURIComponent(quoted)}`)).toBe("GET /x?t=***");
  });

  it("replaces each line of a secret that spans lines, even re-indented", () => {
    expect(r.text("key:\n                     AAAABBBBCCCCDDDD")).toBe("key:\n                     ***");
  });

  it("hides a secret cut by truncation, before or after the mark", () => {
    expect(r.text('got "tok_9f8e7d..."')).toBe('got "***..."');
    expect(r.text("state {tok_9f8e…")).toBe("state {***…");
    expect(r.text("…7d6c5b4a rest")).toBe("…*** rest");
    expect(r.text("Loading... done, to…k")).toBe("Loading... done, to…k");
  });

  it("leaves values shorter than 4 characters, and blank ones, alone", () => {
    expect(r.text("abc abcd")).toBe("abc abcd");
    expect(new Redactor(["      "]).text("{\n      \"a\": 1\n}")).toBe("{\n      \"a\": 1\n}");
  });

  it("redacts JSON values: strings, keys and equal numbers, without touching the input", () => {
    const pin = new Redactor(["987654"]);
    const input = { [secret]: [1, `x ${secret}`], n: 987654, m: 9876540 };
    expect(new Redactor([secret]).value(input)).toEqual({ "***": [1, "x ***"], n: 987654, m: 9876540 });
    expect(pin.value(input)).toMatchObject({ n: "***", m: 9876540 });
    expect(input[secret]).toEqual([1, `x ${secret}`]);
  });

  it("costs nothing without secrets", () => {
    const none = new Redactor();
    const value = { a: "b" };
    expect(none.value(value)).toBe(value);
    expect(none.text("…tok")).toBe("…tok");
  });
});

describe("stripEscapes", () => {
  const nasty = "a\u001b]0;pwned title\u0007b \u001b[31mred\u001b[0m \u001b[2J\u001b[Hc\rd\u0008e\u009b31mf\u001bPdcs\u001b\\g\u001b7h\u0000i\ttab";
  it("removes terminal titles, cursor moves, clears, colour and control characters", () => {
    expect(stripEscapes(nasty)).toBe("ab red cdefgh" + "i\ttab");
  });
  it("keeps only colour on a colour terminal", () => {
    expect(stripEscapes(nasty, true)).toBe("ab \u001b[31mred\u001b[0m cdefghi\ttab");
  });
  it("keeps newlines, turns CRLF into LF, and stops an unterminated title at the end of its line", () => {
    expect(stripEscapes("one\r\ntwo\u001b]0;title\nthree")).toBe("one\ntwo\nthree");
  });
});

describe("jsonErrorLocation never quotes the text around the error", () => {
  const message = (text: string, showToken?: boolean): string => {
    try {
      JSON.parse(text);
    } catch (e) {
      return jsonErrorLocation(text, e as Error, { showToken });
    }
    throw new Error("parsed");
  };
  it("drops V8's excerpt, whichever form it takes", () => {
    expect(message('{\n  "user": "bob",\n  "password": hunter2secret_value,\n}')).toBe("line 3, column 15: Unexpected token 'h'");
    expect(message('{"password": "hunter2secret", "x": }')).toBe("line 1, column 36: Unexpected token '}'");
    expect(message('{"a": tr}')).toBe("line 1, column 9: Unexpected token '}'");
  });
  it("does not even name a letter or digit of a configuration file", () => {
    expect(message('{"password": hunter2secret}', false)).toBe("line 1, column 14: Unexpected character (is a string missing its double quotes?)");
    expect(message('{"a": tr}', false)).toBe("line 1, column 9: Unexpected token '}'");
  });
});

describe("LineRelay", () => {
  it("joins chunks into whole lines, holds them until released, and flushes the last partial line at the end", () => {
    const lines: string[] = [];
    const relay = new LineRelay((l) => lines.push(l));
    relay.push("tok_9f8");
    relay.push("e7d6c5b4a one\ntwo\nthr");
    expect(lines).toEqual([]);
    relay.release();
    expect(lines).toEqual(["tok_9f8e7d6c5b4a one", "two"]);
    relay.push("ee");
    relay.end();
    expect(lines).toEqual(["tok_9f8e7d6c5b4a one", "two", "three"]);
  });
});

describe("maskKeyValueSecrets and redactUrl: a destination's password in every form it is typed", async () => {
  const { maskKeyValueSecrets } = await import("../../src/util/key-value-secrets.js");
  const { redactUrl } = await import("../../src/destinations/postgres/url.js");
  it("hides the values of secret keys where they stand, and keeps everything else", () => {
    const cases: [string, string][] = [
      ["postgres://u@h/db?password=hunter22&schema=s", "postgres://u@h/db?password=***&schema=s"],
      ["postgres://u@h/db?schema=s&Password=p%40ss%2Fw", "postgres://u@h/db?schema=s&Password=***"],
      ["postgres://u@h/db?pass%77ord=hunter22", "postgres://u@h/db?pass%77ord=***"],
      ["host=db port=5432 password=hunter22 user=etl", "host=db port=5432 password=*** user=etl"],
      ["host=db password='hunter 22 \\' x' dbname=app", "host=db password=*** dbname=app"],
      ["host=db password = hunter22", "host=db password = ***"],
      ["Server=db;User Id=u;Password=hun ter22;Database=app", "Server=db;User Id=u;Password=***;Database=app"],
      ["postgres://u@h/db?schema=password", "postgres://u@h/db?schema=password"],
      ["sqlite:files/x.db", "sqlite:files/x.db"],
    ];
    for (const [text, shown] of cases) expect(maskKeyValueSecrets(text, isSecretKey, "***"), text).toBe(shown);
    expect(redactUrl("postgres://u:hunter22@h/db?sslmode=x&password=hunter23")).toBe("postgres://u:***@h/db?sslmode=x&password=***");
    expect(redactUrl("host=db password=hunter22")).toBe("host=db password=***");
  });
});

describe("Redactor: a secret URL-encoded by URLSearchParams, or base64-encoded (attack branch)", () => {
  const secret = "s3cr3t!(pass) word~42";
  const r = new Redactor([secret]);

  it("hides the form URLSearchParams writes: a space as +, !'()~ escaped", () => {
    const url = new URL("https://api.example.com/x");
    url.searchParams.set("q", secret);
    expect(r.text(url.toString())).toBe("https://api.example.com/x?q=***");
  });

  it("hides it base64 and base64url, alone and after a prefix of any length", () => {
    expect(r.text(`seed ${Buffer.from(secret).toString("base64")}`)).toBe("seed ***");
    expect(r.text(`seed ${Buffer.from(secret).toString("base64url")}`)).toBe("seed ***");
    for (const prefix of ["", "a", "ab", "abc", "user:"]) {
      const encoded = Buffer.from(prefix + secret).toString("base64");
      const out = r.text(`Basic ${encoded}`);
      expect(out).toContain("***");
      // At most the groups that hold the prefix and the last bytes are left.
      expect(out.length).toBeLessThanOrEqual("Basic ".length + Math.ceil(prefix.length / 3) * 4 + 4 + 3 + 4);
    }
  });

  it("looks for no base64 shorter than 8 characters, which ordinary words could match", () => {
    const short = new Redactor(["abcd"]);
    expect(short.text("YWJjZA==")).toBe("***");
    expect(short.text("YWJjZA")).toBe("YWJjZA");
  });

  it("says whether a text holds a secret in any form", () => {
    expect(r.holds(JSON.stringify({ next: `https://x/?q=${new URLSearchParams({ q: secret }).toString().slice(2)}` }))).toBe(true);
    expect(r.holds('{"cursor":"2024-01-01"}')).toBe(false);
  });
});

describe("Redactor: a secret printed in hex, or with \\u escapes", () => {
  const secret = "tok_<9f8e>&é/42";
  const r = new Redactor([secret]);
  const hex = Buffer.from(secret).toString("hex");

  it("hides it in hex, either case, alone, inside longer hex and as util.inspect prints a Buffer", () => {
    expect(r.text(`key ${hex}`)).toBe("key ***");
    expect(r.text(`key ${hex.toUpperCase()}`)).toBe("key ***");
    expect(r.text(`00ff${hex}00ff`)).toBe("00ff***00ff");
    expect(r.text(inspect(Buffer.from(secret)))).toBe("<Buffer ***>");
  });

  it("looks for no hex shorter than 16 digits (a secret under 8 bytes), which ordinary numbers could match", () => {
    const short = new Redactor(["1234567"]);
    expect(short.text(`rows 31323334353637`)).toBe("rows 31323334353637");
    expect(new Redactor(["12345678"]).text("id 3132333435363738")).toBe("id ***");
  });

  it("hides it with the \\u escapes of Go (< > &), of ensure_ascii (é) and PHP (\\/), and with every character escaped", () => {
    const go = JSON.stringify({ k: secret }).replace(/[<>&]/g, (c) => "\\u" + c.charCodeAt(0).toString(16).padStart(4, "0"));
    const ascii = JSON.stringify({ k: secret }).replace(/[\u007f-\uffff]/g, (c) => "\\u" + c.charCodeAt(0).toString(16).padStart(4, "0"));
    const both = go.replace(/é/g, "\\u00e9").replace(/\//g, "\\/");
    const all = `{"k":"${[...secret].map((c) => "\\u" + c.charCodeAt(0).toString(16).toUpperCase().padStart(4, "0")).join("")}"}`;
    for (const text of [go, ascii, both, all]) expect(r.text(text), text).toBe('{"k":"***"}');
  });

  it("leaves ordinary hex and escapes alone", () => {
    expect(r.text('{"id":"5f2b9c1e0d3a4b6c","t":"\\u003cb\\u003e"}')).toBe('{"id":"5f2b9c1e0d3a4b6c","t":"\\u003cb\\u003e"}');
  });
});
