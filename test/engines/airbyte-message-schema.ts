/**
 * AirbyteMessage as a JSON Schema (draft-07), written for these tests from the definitions of
 * airbyte_protocol.yaml (airbytehq/airbyte-protocol, protocol v0.5 and later): the required
 * fields, the enums and the types of every message a source writes. Extra fields are allowed,
 * as the protocol allows them.
 */
const streamDescriptor = { type: "object", required: ["name"], properties: { name: { type: "string" }, namespace: { type: "string" } } };

export const AIRBYTE_MESSAGE = {
  $schema: "http://json-schema.org/draft-07/schema#",
  type: "object",
  required: ["type"],
  properties: {
    type: { enum: ["RECORD", "STATE", "LOG", "SPEC", "CONNECTION_STATUS", "CATALOG", "TRACE", "CONTROL"] },
    log: {
      type: "object",
      required: ["level", "message"],
      properties: { level: { enum: ["FATAL", "ERROR", "WARN", "INFO", "DEBUG", "TRACE"] }, message: { type: "string" }, stack_trace: { type: "string" } },
    },
    spec: {
      type: "object",
      required: ["connectionSpecification"],
      properties: {
        documentationUrl: { type: "string" },
        changelogUrl: { type: "string" },
        connectionSpecification: { type: "object" },
        supportsIncremental: { type: "boolean" },
        supportsNormalization: { type: "boolean" },
        supportsDBT: { type: "boolean" },
        supported_destination_sync_modes: { type: "array", items: { enum: ["append", "overwrite", "append_dedup", "overwrite_dedup", "update", "soft_delete"] } },
      },
    },
    connectionStatus: { type: "object", required: ["status"], properties: { status: { enum: ["SUCCEEDED", "FAILED"] }, message: { type: "string" } } },
    catalog: {
      type: "object",
      required: ["streams"],
      properties: {
        streams: {
          type: "array",
          items: {
            type: "object",
            required: ["name", "json_schema", "supported_sync_modes"],
            properties: {
              name: { type: "string" },
              json_schema: { type: "object" },
              supported_sync_modes: { type: "array", minItems: 1, items: { enum: ["full_refresh", "incremental"] } },
              source_defined_cursor: { type: "boolean" },
              default_cursor_field: { type: "array", items: { type: "string" } },
              source_defined_primary_key: { type: "array", items: { type: "array", items: { type: "string" } } },
              namespace: { type: "string" },
              is_resumable: { type: "boolean" },
            },
          },
        },
      },
    },
    record: {
      type: "object",
      required: ["stream", "data", "emitted_at"],
      properties: { namespace: { type: "string" }, stream: { type: "string" }, data: { type: "object" }, emitted_at: { type: "integer" }, meta: { type: "object" } },
    },
    state: {
      type: "object",
      properties: {
        type: { enum: ["GLOBAL", "STREAM", "LEGACY"] },
        stream: { type: "object", required: ["stream_descriptor"], properties: { stream_descriptor: streamDescriptor, stream_state: { type: "object" } } },
        global: {
          type: "object",
          required: ["stream_states"],
          properties: {
            shared_state: { type: "object" },
            stream_states: { type: "array", items: { type: "object", required: ["stream_descriptor"], properties: { stream_descriptor: streamDescriptor, stream_state: { type: "object" } } } },
          },
        },
        data: { type: "object" },
        sourceStats: { type: "object", properties: { recordCount: { type: "number" } } },
      },
    },
    trace: {
      type: "object",
      required: ["type", "emitted_at"],
      properties: {
        type: { enum: ["ERROR", "ESTIMATE", "STREAM_STATUS", "ANALYTICS"] },
        emitted_at: { type: "number" },
        error: {
          type: "object",
          required: ["message"],
          properties: { message: { type: "string" }, internal_message: { type: "string" }, stack_trace: { type: "string" }, failure_type: { enum: ["system_error", "config_error", "transient_error"] } },
        },
        stream_status: {
          type: "object",
          required: ["stream_descriptor", "status"],
          properties: { stream_descriptor: streamDescriptor, status: { enum: ["STARTED", "RUNNING", "COMPLETE", "INCOMPLETE"] } },
        },
      },
    },
    // AirbyteControlMessage: a source's updated configuration (a rotated refresh token).
    control: {
      type: "object",
      required: ["type", "emitted_at"],
      properties: {
        type: { enum: ["CONNECTOR_CONFIG"] },
        emitted_at: { type: "number" },
        connectorConfig: { type: "object", required: ["config"], properties: { config: { type: "object" } } },
      },
    },
  },
  // Each type carries its own body.
  allOf: [
    { if: { properties: { type: { const: "RECORD" } } }, then: { required: ["record"] } },
    { if: { properties: { type: { const: "STATE" } } }, then: { required: ["state"] } },
    { if: { properties: { type: { const: "LOG" } } }, then: { required: ["log"] } },
    { if: { properties: { type: { const: "SPEC" } } }, then: { required: ["spec"] } },
    { if: { properties: { type: { const: "CONNECTION_STATUS" } } }, then: { required: ["connectionStatus"] } },
    { if: { properties: { type: { const: "CATALOG" } } }, then: { required: ["catalog"] } },
    { if: { properties: { type: { const: "TRACE" } } }, then: { required: ["trace"] } },
    { if: { properties: { type: { const: "CONTROL" } } }, then: { required: ["control"] } },
    { if: { properties: { control: { properties: { type: { const: "CONNECTOR_CONFIG" } } } } }, then: { properties: { control: { required: ["connectorConfig"] } } } },
    { if: { properties: { trace: { properties: { type: { const: "ERROR" } } } } }, then: { properties: { trace: { required: ["error"] } } } },
    { if: { properties: { trace: { properties: { type: { const: "STREAM_STATUS" } } } } }, then: { properties: { trace: { required: ["stream_status"] } } } },
    { if: { properties: { state: { properties: { type: { const: "GLOBAL" } } } } }, then: { properties: { state: { required: ["global"] } } } },
  ],
};
