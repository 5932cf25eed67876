/// The OpenAPI 3.1 document of everything the `web` process serves, at `GET /api/v1/openapi.json`.
///
/// `OpenAPIDocumentTests` checks that its paths and methods are exactly the routes the ingress registers, and
/// `deploy/schemathesis-check` fuzzes the live server against it.
enum OpenAPIDocument {
    static let json = #"""
        {
         "openapi": "3.1.0",
         "info": {
          "title": "Drainpipe HTTP API",
          "version": "1.0.0",
          "description": "What the `web` process serves: drain, Graphite ingest, series, Graphite queries, health."
         },
         "paths": {
          "/logs": {
           "post": {
            "summary": "Logplex HTTPS drain",
            "operationId": "drain",
            "tags": [
             "ingest"
            ],
            "security": [
             {
              "drainCredentials": []
             }
            ],
            "parameters": [
             {
              "name": "Logplex-Drain-Token",
              "in": "header",
              "required": false,
              "schema": {
               "type": "string"
              }
             },
             {
              "name": "Logplex-Frame-Id",
              "in": "header",
              "required": false,
              "schema": {
               "type": "string"
              }
             },
             {
              "name": "Content-Encoding",
              "in": "header",
              "required": false,
              "schema": {
               "type": "string"
              }
             }
            ],
            "requestBody": {
             "required": false,
             "content": {
              "application/logplex-1": {
               "schema": {
                "type": "string"
               }
              },
              "text/plain": {
               "schema": {
                "type": "string"
               }
              }
             }
            },
            "responses": {
             "204": {
              "description": "Every frame used (or deliberately ignored) and durable in Kafka."
             },
             "200": {
              "description": "Valid frames durable; some rejected (see Drainpipe-Rejected-* headers).",
              "content": {
               "text/plain": {
                "schema": {
                 "type": "string"
                }
               }
              }
             },
             "400": {
              "description": "Nothing in the body could be framed.",
              "content": {
               "text/plain": {
                "schema": {
                 "type": "string"
                }
               }
              }
             },
             "401": {
              "description": "Missing or unknown drain credentials.",
              "content": {
               "text/plain": {
                "schema": {
                 "type": "string"
                }
               }
              }
             },
             "403": {
              "description": "The drain token does not belong to the credentials' owner.",
              "content": {
               "text/plain": {
                "schema": {
                 "type": "string"
                }
               }
              }
             },
             "413": {
              "description": "The body is larger than the limit, before or after inflating.",
              "content": {
               "text/plain": {
                "schema": {
                 "type": "string"
                }
               }
              }
             },
             "415": {
              "description": "The Content-Encoding is neither gzip nor identity.",
              "content": {
               "text/plain": {
                "schema": {
                 "type": "string"
                }
               }
              }
             },
             "429": {
              "description": "Over the owner's cap; retry later.",
              "headers": {
               "Retry-After": {
                "$ref": "#/components/headers/RetryAfter"
               }
              },
              "content": {
               "text/plain": {
                "schema": {
                 "type": "string"
                }
               }
              }
             },
             "503": {
              "description": "Kafka did not acknowledge in time; retry later.",
              "headers": {
               "Retry-After": {
                "$ref": "#/components/headers/RetryAfter"
               }
              },
              "content": {
               "text/plain": {
                "schema": {
                 "type": "string"
                }
               }
              }
             }
            }
           }
          },
          "/graphite": {
           "post": {
            "summary": "Graphite plaintext lines over HTTP",
            "operationId": "graphiteIngest",
            "tags": [
             "ingest"
            ],
            "security": [
             {
              "graphiteToken": []
             }
            ],
            "parameters": [
             {
              "name": "Content-Encoding",
              "in": "header",
              "required": false,
              "schema": {
               "type": "string"
              }
             }
            ],
            "requestBody": {
             "required": false,
             "content": {
              "text/plain": {
               "schema": {
                "type": "string"
               }
              }
             }
            },
            "responses": {
             "204": {
              "description": "Every line became a durable datapoint."
             },
             "200": {
              "description": "The valid lines are durable; some lines were rejected or denied.",
              "content": {
               "text/plain": {
                "schema": {
                 "type": "string"
                }
               }
              }
             },
             "400": {
              "description": "Lines were sent and none was well-formed.",
              "content": {
               "text/plain": {
                "schema": {
                 "type": "string"
                }
               }
              }
             },
             "401": {
              "description": "Missing or unknown Graphite token.",
              "content": {
               "text/plain": {
                "schema": {
                 "type": "string"
                }
               }
              }
             },
             "413": {
              "description": "The body is larger than the limit, before or after inflating.",
              "content": {
               "text/plain": {
                "schema": {
                 "type": "string"
                }
               }
              }
             },
             "415": {
              "description": "The Content-Encoding is neither gzip nor identity.",
              "content": {
               "text/plain": {
                "schema": {
                 "type": "string"
                }
               }
              }
             },
             "429": {
              "description": "Over the owner's cap; retry later.",
              "headers": {
               "Retry-After": {
                "$ref": "#/components/headers/RetryAfter"
               }
              },
              "content": {
               "text/plain": {
                "schema": {
                 "type": "string"
                }
               }
              }
             },
             "503": {
              "description": "Kafka did not acknowledge in time; retry later.",
              "headers": {
               "Retry-After": {
                "$ref": "#/components/headers/RetryAfter"
               }
              },
              "content": {
               "text/plain": {
                "schema": {
                 "type": "string"
                }
               }
              }
             }
            }
           }
          },
          "/api/v1/series/{type}": {
           "get": {
            "summary": "Stored summaries of one owner and type, exact at any resolution",
            "operationId": "series",
            "tags": [
             "read"
            ],
            "security": [
             {
              "apiToken": []
             }
            ],
            "parameters": [
             {
              "name": "type",
              "in": "path",
              "required": true,
              "schema": {
               "type": "string",
               "enum": [
                "router-requests",
                "dyno-load",
                "dyno-memory",
                "dyno-errors",
                "custom-metrics"
               ]
              }
             },
             {
              "name": "owner",
              "in": "query",
              "required": true,
              "schema": {
               "type": "string"
              }
             },
             {
              "name": "process_type",
              "in": "query",
              "required": false,
              "schema": {
               "type": "string"
              }
             },
             {
              "name": "metric",
              "in": "query",
              "required": false,
              "schema": {
               "type": "string"
              }
             },
             {
              "name": "from",
              "in": "query",
              "required": false,
              "schema": {
               "type": "string"
              },
              "description": "RFC 3339 time or Unix seconds; default `to` minus two hours."
             },
             {
              "name": "to",
              "in": "query",
              "required": false,
              "schema": {
               "type": "string"
              },
              "description": "RFC 3339 time or Unix seconds; default now."
             },
             {
              "name": "resolution",
              "in": "query",
              "required": false,
              "schema": {
               "type": "integer",
               "minimum": 60
              },
              "description": "Seconds per point (multiple of 60); default 60/600/3600/7200 for 2 h/24 h/72 h/longer."
             }
            ],
            "responses": {
             "200": {
              "description": "The summaries, oldest first.",
              "content": {
               "application/json": {
                "schema": {
                 "$ref": "#/components/schemas/SeriesResponse"
                }
               }
              }
             },
             "400": {
              "$ref": "#/components/responses/Error"
             },
             "401": {
              "$ref": "#/components/responses/Error"
             },
             "403": {
              "$ref": "#/components/responses/Error"
             },
             "404": {
              "$ref": "#/components/responses/Error"
             },
             "429": {
              "description": "Over the tenant's read quota (series per second, or reads in progress).",
              "headers": {
               "Retry-After": {
                "$ref": "#/components/headers/RetryAfter"
               }
              },
              "content": {
               "text/plain": {
                "schema": {
                 "type": "string"
                }
               }
              }
             }
            }
           }
          },
          "/render": {
           "get": {
            "summary": "graphite-web 1.1 render API",
            "operationId": "renderGet",
            "tags": [
             "graphite"
            ],
            "security": [
             {
              "apiToken": []
             },
             {
              "apiTokenBasic": []
             }
            ],
            "parameters": [
             {
              "name": "target",
              "in": "query",
              "required": false,
              "style": "form",
              "explode": true,
              "schema": {
               "type": "array",
               "items": {
                "type": "string"
               }
              },
              "description": "A target expression; repeat for several."
             },
             {
              "name": "from",
              "in": "query",
              "required": false,
              "schema": {
               "type": "string"
              },
              "description": "`-6h`, `-5min`, `now`, Unix seconds, `HH:MM_YYYYMMDD`, `YYYYMMDD` (UTC); default `-24h`."
             },
             {
              "name": "until",
              "in": "query",
              "required": false,
              "schema": {
               "type": "string"
              },
              "description": "End, in the same forms. Default `now`."
             },
             {
              "name": "now",
              "in": "query",
              "required": false,
              "schema": {
               "type": "string"
              },
              "description": "What relative times count from (graphite-web 1.1); default: now."
             },
             {
              "name": "format",
              "in": "query",
              "required": false,
              "schema": {
               "type": "string",
               "enum": [
                "json",
                "csv"
               ],
               "default": "json"
              }
             },
             {
              "name": "maxDataPoints",
              "in": "query",
              "required": false,
              "schema": {
               "type": "integer",
               "minimum": 1
              },
              "description": "Consolidate each series to at most this many points."
             },
             {
              "name": "noNullPoints",
              "in": "query",
              "required": false,
              "schema": {
               "type": "string"
              },
              "description": "Present: leave out null points (JSON only)."
             },
             {
              "name": "xFilesFactor",
              "in": "query",
              "required": false,
              "schema": {
               "type": "number",
               "minimum": 0,
               "maximum": 1
              },
              "description": "Least share of non-null values a consolidated point needs."
             }
            ],
            "responses": {
             "200": {
              "description": "The series as JSON (graphite-web 1.1) or CSV.",
              "content": {
               "application/json": {
                "schema": {
                 "$ref": "#/components/schemas/RenderSeriesList"
                }
               },
               "text/csv": {
                "schema": {
                 "type": "string"
                }
               }
              }
             },
             "400": {
              "$ref": "#/components/responses/Error"
             },
             "401": {
              "$ref": "#/components/responses/Error"
             },
             "422": {
              "$ref": "#/components/responses/FanOut"
             },
             "429": {
              "description": "Over the tenant's read quota (series per second, or reads in progress).",
              "headers": {
               "Retry-After": {
                "$ref": "#/components/headers/RetryAfter"
               }
              },
              "content": {
               "text/plain": {
                "schema": {
                 "type": "string"
                }
               }
              }
             }
            }
           },
           "post": {
            "summary": "graphite-web 1.1 render API, form-encoded (as Grafana sends it)",
            "operationId": "renderPost",
            "tags": [
             "graphite"
            ],
            "security": [
             {
              "apiToken": []
             },
             {
              "apiTokenBasic": []
             }
            ],
            "parameters": [
             {
              "name": "target",
              "in": "query",
              "required": false,
              "style": "form",
              "explode": true,
              "schema": {
               "type": "array",
               "items": {
                "type": "string"
               }
              },
              "description": "A target expression; repeat for several."
             },
             {
              "name": "from",
              "in": "query",
              "required": false,
              "schema": {
               "type": "string"
              },
              "description": "`-6h`, `-5min`, `now`, Unix seconds, `HH:MM_YYYYMMDD`, `YYYYMMDD` (UTC); default `-24h`."
             },
             {
              "name": "until",
              "in": "query",
              "required": false,
              "schema": {
               "type": "string"
              },
              "description": "End, in the same forms. Default `now`."
             },
             {
              "name": "now",
              "in": "query",
              "required": false,
              "schema": {
               "type": "string"
              },
              "description": "What relative times count from (graphite-web 1.1); default: now."
             },
             {
              "name": "format",
              "in": "query",
              "required": false,
              "schema": {
               "type": "string",
               "enum": [
                "json",
                "csv"
               ],
               "default": "json"
              }
             },
             {
              "name": "maxDataPoints",
              "in": "query",
              "required": false,
              "schema": {
               "type": "integer",
               "minimum": 1
              },
              "description": "Consolidate each series to at most this many points."
             },
             {
              "name": "noNullPoints",
              "in": "query",
              "required": false,
              "schema": {
               "type": "string"
              },
              "description": "Present: leave out null points (JSON only)."
             },
             {
              "name": "xFilesFactor",
              "in": "query",
              "required": false,
              "schema": {
               "type": "number",
               "minimum": 0,
               "maximum": 1
              },
              "description": "Least share of non-null values a consolidated point needs."
             }
            ],
            "requestBody": {
             "required": false,
             "content": {
              "application/x-www-form-urlencoded": {
               "schema": {
                "type": "object",
                "properties": {
                 "target": {
                  "type": "array",
                  "items": {
                   "type": "string"
                  }
                 },
                 "from": {
                  "type": "string"
                 },
                 "until": {
                  "type": "string"
                 },
                 "now": {
                  "type": "string"
                 },
                 "format": {
                  "type": "string",
                  "enum": [
                   "json",
                   "csv"
                  ]
                 },
                 "maxDataPoints": {
                  "type": "integer",
                  "minimum": 1
                 },
                 "noNullPoints": {
                  "type": "string"
                 },
                 "xFilesFactor": {
                  "type": "number",
                  "minimum": 0,
                  "maximum": 1
                 }
                }
               }
              }
             }
            },
            "responses": {
             "200": {
              "description": "The series as JSON (graphite-web 1.1) or CSV.",
              "content": {
               "application/json": {
                "schema": {
                 "$ref": "#/components/schemas/RenderSeriesList"
                }
               },
               "text/csv": {
                "schema": {
                 "type": "string"
                }
               }
              }
             },
             "400": {
              "$ref": "#/components/responses/Error"
             },
             "401": {
              "$ref": "#/components/responses/Error"
             },
             "422": {
              "$ref": "#/components/responses/FanOut"
             },
             "413": {
              "$ref": "#/components/responses/Error"
             },
             "429": {
              "description": "Over the tenant's read quota (series per second, or reads in progress).",
              "headers": {
               "Retry-After": {
                "$ref": "#/components/headers/RetryAfter"
               }
              },
              "content": {
               "text/plain": {
                "schema": {
                 "type": "string"
                }
               }
              }
             }
            }
           }
          },
          "/metrics/find": {
           "get": {
            "summary": "Children of a path pattern",
            "operationId": "findGet",
            "tags": [
             "graphite"
            ],
            "security": [
             {
              "apiToken": []
             },
             {
              "apiTokenBasic": []
             }
            ],
            "parameters": [
             {
              "name": "query",
              "in": "query",
              "required": false,
              "schema": {
               "type": "string"
              },
              "description": "A path pattern (`*`, `?`, `[a-z]`, `{a,b}`); here or in the form body."
             },
             {
              "name": "format",
              "in": "query",
              "required": false,
              "schema": {
               "type": "string",
               "enum": [
                "treejson",
                "completer"
               ],
               "default": "treejson"
              }
             },
             {
              "name": "wildcards",
              "in": "query",
              "required": false,
              "schema": {
               "type": "string"
              },
              "description": "`1`: add a `*` node when several match."
             },
             {
              "name": "from",
              "in": "query",
              "required": false,
              "schema": {
               "type": "string"
              },
              "description": "Only series with data since then (default `-24h`)."
             },
             {
              "name": "until",
              "in": "query",
              "required": false,
              "schema": {
               "type": "string"
              },
              "description": "Accepted for Grafana; the catalog runs up to now."
             }
            ],
            "responses": {
             "200": {
              "description": "Matching nodes, one per name.",
              "content": {
               "application/json": {
                "schema": {
                 "oneOf": [
                  {
                   "type": "array",
                   "items": {
                    "$ref": "#/components/schemas/TreeNode"
                   }
                  },
                  {
                   "$ref": "#/components/schemas/CompleterResult"
                  }
                 ]
                }
               }
              }
             },
             "400": {
              "$ref": "#/components/responses/Error"
             },
             "401": {
              "$ref": "#/components/responses/Error"
             },
             "429": {
              "description": "Over the tenant's read quota (series per second, or reads in progress).",
              "headers": {
               "Retry-After": {
                "$ref": "#/components/headers/RetryAfter"
               }
              },
              "content": {
               "text/plain": {
                "schema": {
                 "type": "string"
                }
               }
              }
             }
            }
           },
           "post": {
            "summary": "Children of a path pattern, form-encoded",
            "operationId": "findPost",
            "tags": [
             "graphite"
            ],
            "security": [
             {
              "apiToken": []
             },
             {
              "apiTokenBasic": []
             }
            ],
            "parameters": [
             {
              "name": "query",
              "in": "query",
              "required": false,
              "schema": {
               "type": "string"
              },
              "description": "A path pattern (`*`, `?`, `[a-z]`, `{a,b}`); here or in the form body."
             },
             {
              "name": "format",
              "in": "query",
              "required": false,
              "schema": {
               "type": "string",
               "enum": [
                "treejson",
                "completer"
               ],
               "default": "treejson"
              }
             },
             {
              "name": "wildcards",
              "in": "query",
              "required": false,
              "schema": {
               "type": "string"
              },
              "description": "`1`: add a `*` node when several match."
             },
             {
              "name": "from",
              "in": "query",
              "required": false,
              "schema": {
               "type": "string"
              },
              "description": "Only series with data since then (default `-24h`)."
             },
             {
              "name": "until",
              "in": "query",
              "required": false,
              "schema": {
               "type": "string"
              },
              "description": "Accepted for Grafana; the catalog runs up to now."
             }
            ],
            "requestBody": {
             "required": false,
             "content": {
              "application/x-www-form-urlencoded": {
               "schema": {
                "type": "object",
                "properties": {
                 "query": {
                  "type": "string"
                 },
                 "format": {
                  "type": "string",
                  "enum": [
                   "treejson",
                   "completer"
                  ]
                 },
                 "wildcards": {
                  "type": "string"
                 },
                 "from": {
                  "type": "string"
                 },
                 "until": {
                  "type": "string"
                 }
                }
               }
              }
             }
            },
            "responses": {
             "200": {
              "description": "Matching nodes, one per name.",
              "content": {
               "application/json": {
                "schema": {
                 "oneOf": [
                  {
                   "type": "array",
                   "items": {
                    "$ref": "#/components/schemas/TreeNode"
                   }
                  },
                  {
                   "$ref": "#/components/schemas/CompleterResult"
                  }
                 ]
                }
               }
              }
             },
             "400": {
              "$ref": "#/components/responses/Error"
             },
             "401": {
              "$ref": "#/components/responses/Error"
             },
             "413": {
              "$ref": "#/components/responses/Error"
             },
             "429": {
              "description": "Over the tenant's read quota (series per second, or reads in progress).",
              "headers": {
               "Retry-After": {
                "$ref": "#/components/headers/RetryAfter"
               }
              },
              "content": {
               "text/plain": {
                "schema": {
                 "type": "string"
                }
               }
              }
             }
            }
           }
          },
          "/metrics/expand": {
           "get": {
            "summary": "Paths a pattern expands to",
            "operationId": "expandGet",
            "tags": [
             "graphite"
            ],
            "security": [
             {
              "apiToken": []
             },
             {
              "apiTokenBasic": []
             }
            ],
            "parameters": [
             {
              "name": "query",
              "in": "query",
              "required": false,
              "style": "form",
              "explode": true,
              "schema": {
               "type": "array",
               "items": {
                "type": "string"
               }
              },
              "description": "Path patterns; repeat for several; here or in the form body."
             },
             {
              "name": "leavesOnly",
              "in": "query",
              "required": false,
              "schema": {
               "type": "string"
              }
             },
             {
              "name": "groupByExpr",
              "in": "query",
              "required": false,
              "schema": {
               "type": "string"
              }
             },
             {
              "name": "from",
              "in": "query",
              "required": false,
              "schema": {
               "type": "string"
              },
              "description": "Only series with data since then (default `-24h`)."
             },
             {
              "name": "until",
              "in": "query",
              "required": false,
              "schema": {
               "type": "string"
              },
              "description": "Accepted; the catalog runs up to now."
             }
            ],
            "responses": {
             "200": {
              "description": "The paths the patterns expand to, sorted.",
              "content": {
               "application/json": {
                "schema": {
                 "type": "object",
                 "required": [
                  "results"
                 ],
                 "properties": {
                  "results": {
                   "oneOf": [
                    {
                     "type": "array",
                     "items": {
                      "type": "string"
                     }
                    },
                    {
                     "type": "object",
                     "additionalProperties": {
                      "type": "array",
                      "items": {
                       "type": "string"
                      }
                     }
                    }
                   ]
                  }
                 }
                }
               }
              }
             },
             "400": {
              "$ref": "#/components/responses/Error"
             },
             "401": {
              "$ref": "#/components/responses/Error"
             },
             "429": {
              "description": "Over the tenant's read quota (series per second, or reads in progress).",
              "headers": {
               "Retry-After": {
                "$ref": "#/components/headers/RetryAfter"
               }
              },
              "content": {
               "text/plain": {
                "schema": {
                 "type": "string"
                }
               }
              }
             }
            }
           },
           "post": {
            "summary": "Paths a pattern expands to, form-encoded",
            "operationId": "expandPost",
            "tags": [
             "graphite"
            ],
            "security": [
             {
              "apiToken": []
             },
             {
              "apiTokenBasic": []
             }
            ],
            "parameters": [
             {
              "name": "query",
              "in": "query",
              "required": false,
              "style": "form",
              "explode": true,
              "schema": {
               "type": "array",
               "items": {
                "type": "string"
               }
              },
              "description": "Path patterns; repeat for several; here or in the form body."
             },
             {
              "name": "leavesOnly",
              "in": "query",
              "required": false,
              "schema": {
               "type": "string"
              }
             },
             {
              "name": "groupByExpr",
              "in": "query",
              "required": false,
              "schema": {
               "type": "string"
              }
             },
             {
              "name": "from",
              "in": "query",
              "required": false,
              "schema": {
               "type": "string"
              },
              "description": "Only series with data since then (default `-24h`)."
             },
             {
              "name": "until",
              "in": "query",
              "required": false,
              "schema": {
               "type": "string"
              },
              "description": "Accepted; the catalog runs up to now."
             }
            ],
            "requestBody": {
             "required": false,
             "content": {
              "application/x-www-form-urlencoded": {
               "schema": {
                "type": "object",
                "properties": {
                 "query": {
                  "type": "array",
                  "items": {
                   "type": "string"
                  }
                 },
                 "leavesOnly": {
                  "type": "string"
                 },
                 "groupByExpr": {
                  "type": "string"
                 },
                 "from": {
                  "type": "string"
                 },
                 "until": {
                  "type": "string"
                 }
                }
               }
              }
             }
            },
            "responses": {
             "200": {
              "description": "The paths the patterns expand to, sorted.",
              "content": {
               "application/json": {
                "schema": {
                 "type": "object",
                 "required": [
                  "results"
                 ],
                 "properties": {
                  "results": {
                   "oneOf": [
                    {
                     "type": "array",
                     "items": {
                      "type": "string"
                     }
                    },
                    {
                     "type": "object",
                     "additionalProperties": {
                      "type": "array",
                      "items": {
                       "type": "string"
                      }
                     }
                    }
                   ]
                  }
                 }
                }
               }
              }
             },
             "400": {
              "$ref": "#/components/responses/Error"
             },
             "401": {
              "$ref": "#/components/responses/Error"
             },
             "413": {
              "$ref": "#/components/responses/Error"
             },
             "429": {
              "description": "Over the tenant's read quota (series per second, or reads in progress).",
              "headers": {
               "Retry-After": {
                "$ref": "#/components/headers/RetryAfter"
               }
              },
              "content": {
               "text/plain": {
                "schema": {
                 "type": "string"
                }
               }
              }
             }
            }
           }
          },
          "/functions": {
           "get": {
            "summary": "The render functions, in graphite-web 1.1's description format",
            "operationId": "functions",
            "tags": [
             "graphite"
            ],
            "parameters": [
             {
              "name": "grouped",
              "in": "query",
              "required": false,
              "schema": {
               "type": "string"
              },
              "description": "`1` or `true`: group by function group."
             },
             {
              "name": "group",
              "in": "query",
              "required": false,
              "schema": {
               "type": "string"
              },
              "description": "Only this group."
             }
            ],
            "responses": {
             "200": {
              "description": "Function name to description.",
              "content": {
               "application/json": {
                "schema": {
                 "type": "object",
                 "additionalProperties": {
                  "type": "object"
                 }
                }
               }
              }
             },
             "400": {
              "$ref": "#/components/responses/Error"
             }
            }
           }
          },
          "/version": {
           "get": {
            "summary": "The graphite-web version whose API this follows",
            "operationId": "version",
            "tags": [
             "graphite"
            ],
            "responses": {
             "200": {
              "description": "A 1.1.x version.",
              "content": {
               "text/plain": {
                "schema": {
                 "type": "string"
                }
               }
              }
             }
            }
           }
          },
          "/events/get_data": {
           "get": {
            "summary": "Platform events (deploys, restarts, scaling) as graphite-web events",
            "operationId": "events",
            "tags": [
             "graphite"
            ],
            "security": [
             {
              "apiToken": []
             },
             {
              "apiTokenBasic": []
             }
            ],
            "parameters": [
             {
              "name": "from",
              "in": "query",
              "required": false,
              "schema": {
               "type": "string"
              },
              "description": "Start, as in /render (default `-24h`)."
             },
             {
              "name": "until",
              "in": "query",
              "required": false,
              "schema": {
               "type": "string"
              },
              "description": "End, as in /render (default `now`)."
             },
             {
              "name": "tags",
              "in": "query",
              "required": false,
              "schema": {
               "type": "string"
              },
              "description": "Space-separated tags; an event must carry all of them."
             },
             {
              "name": "set",
              "in": "query",
              "required": false,
              "schema": {
               "type": "string"
              },
              "description": "`union`: an event may carry any of the tags."
             }
            ],
            "responses": {
             "200": {
              "description": "The events in the range, oldest first.",
              "content": {
               "application/json": {
                "schema": {
                 "type": "array",
                 "items": {
                  "$ref": "#/components/schemas/Event"
                 }
                }
               }
              }
             },
             "400": {
              "$ref": "#/components/responses/Error"
             },
             "401": {
              "$ref": "#/components/responses/Error"
             },
             "429": {
              "description": "Over the tenant's read quota (series per second, or reads in progress).",
              "headers": {
               "Retry-After": {
                "$ref": "#/components/headers/RetryAfter"
               }
              },
              "content": {
               "text/plain": {
                "schema": {
                 "type": "string"
                }
               }
              }
             }
            }
           }
          },
          "/api/v1/events": {
           "get": {
            "summary": "Platform events of one owner, with per-minute counts by kind",
            "operationId": "platformEvents",
            "tags": [
             "read"
            ],
            "security": [
             {
              "apiToken": []
             }
            ],
            "parameters": [
             {
              "name": "owner",
              "in": "query",
              "required": true,
              "schema": {
               "type": "string"
              }
             },
             {
              "name": "process_type",
              "in": "query",
              "required": false,
              "schema": {
               "type": "string"
              }
             },
             {
              "name": "from",
              "in": "query",
              "required": false,
              "schema": {
               "type": "string"
              },
              "description": "RFC 3339 time or Unix seconds; default `to` minus two hours."
             },
             {
              "name": "to",
              "in": "query",
              "required": false,
              "schema": {
               "type": "string"
              },
              "description": "RFC 3339 time or Unix seconds; default now."
             }
            ],
            "responses": {
             "200": {
              "description": "The events, oldest first, and each stored minute's counts.",
              "content": {
               "application/json": {
                "schema": {
                 "$ref": "#/components/schemas/EventsResponse"
                }
               }
              }
             },
             "400": {
              "$ref": "#/components/responses/Error"
             },
             "401": {
              "$ref": "#/components/responses/Error"
             },
             "403": {
              "$ref": "#/components/responses/Error"
             },
             "429": {
              "description": "Over the tenant's read quota (series per second, or reads in progress).",
              "headers": {
               "Retry-After": {
                "$ref": "#/components/headers/RetryAfter"
               }
              },
              "content": {
               "text/plain": {
                "schema": {
                 "type": "string"
                }
               }
              }
             }
            }
           }
          },
          "/api/v1/owners": {
           "get": {
            "summary": "The owners a token reads, with their process types and newest data",
            "operationId": "owners",
            "tags": [
             "read"
            ],
            "security": [
             {
              "apiToken": []
             }
            ],
            "parameters": [
             {
              "name": "from",
              "in": "query",
              "required": false,
              "schema": {
               "type": "string"
              },
              "description": "RFC 3339 time or Unix seconds; default `to` minus 24 hours."
             },
             {
              "name": "to",
              "in": "query",
              "required": false,
              "schema": {
               "type": "string"
              },
              "description": "RFC 3339 time or Unix seconds; default now."
             }
            ],
            "responses": {
             "200": {
              "description": "The readable owners.",
              "content": {
               "application/json": {
                "schema": {
                 "$ref": "#/components/schemas/OwnersResponse"
                }
               }
              }
             },
             "400": {
              "$ref": "#/components/responses/Error"
             },
             "401": {
              "$ref": "#/components/responses/Error"
             },
             "429": {
              "description": "Over the tenant's read quota (series per second, or reads in progress).",
              "headers": {
               "Retry-After": {
                "$ref": "#/components/headers/RetryAfter"
               }
              },
              "content": {
               "text/plain": {
                "schema": {
                 "type": "string"
                }
               }
              }
             }
            }
           }
          },
          "/": {
           "get": {
            "summary": "The dashboard page",
            "operationId": "dashboard",
            "tags": [
             "dashboard"
            ],
            "responses": {
             "200": {
              "description": "The page.",
              "content": {
               "text/html": {
                "schema": {
                 "type": "string"
                }
               }
              }
             },
             "503": {
              "description": "Dygraphs is not installed; the page says what to install.",
              "content": {
               "text/html": {
                "schema": {
                 "type": "string"
                }
               }
              }
             }
            }
           }
          },
          "/dashboard/dashboard.css": {
           "get": {
            "summary": "The dashboard's style sheet",
            "operationId": "dashboardStyle",
            "tags": [
             "dashboard"
            ],
            "responses": {
             "200": {
              "description": "The file.",
              "content": {
               "text/css": {
                "schema": {
                 "type": "string"
                }
               }
              }
             },
             "404": {
              "description": "Not installed.",
              "content": {
               "application/json": {
                "schema": {
                 "$ref": "#/components/schemas/Error"
                }
               }
              }
             }
            }
           }
          },
          "/dashboard/dashboard.js": {
           "get": {
            "summary": "The dashboard's script",
            "operationId": "dashboardScript",
            "tags": [
             "dashboard"
            ],
            "responses": {
             "200": {
              "description": "The file.",
              "content": {
               "text/javascript": {
                "schema": {
                 "type": "string"
                }
               }
              }
             },
             "404": {
              "description": "Not installed.",
              "content": {
               "application/json": {
                "schema": {
                 "$ref": "#/components/schemas/Error"
                }
               }
              }
             }
            }
           }
          },
          "/dashboard/vendor/dygraph.min.js": {
           "get": {
            "summary": "Dygraphs (Debian's libjs-dygraphs)",
            "operationId": "dygraphsScript",
            "tags": [
             "dashboard"
            ],
            "responses": {
             "200": {
              "description": "The file.",
              "content": {
               "text/javascript": {
                "schema": {
                 "type": "string"
                }
               }
              }
             },
             "404": {
              "description": "Not installed.",
              "content": {
               "application/json": {
                "schema": {
                 "$ref": "#/components/schemas/Error"
                }
               }
              }
             }
            }
           }
          },
          "/dashboard/vendor/dygraph.min.css": {
           "get": {
            "summary": "Dygraphs' style sheet",
            "operationId": "dygraphsStyle",
            "tags": [
             "dashboard"
            ],
            "responses": {
             "200": {
              "description": "The file.",
              "content": {
               "text/css": {
                "schema": {
                 "type": "string"
                }
               }
              }
             },
             "404": {
              "description": "Not installed.",
              "content": {
               "application/json": {
                "schema": {
                 "$ref": "#/components/schemas/Error"
                }
               }
              }
             }
            }
           }
          },
          "/dashboard/vendor/synchronizer.js": {
           "get": {
            "summary": "Dygraphs' synchronizer",
            "operationId": "dygraphsSynchronizer",
            "tags": [
             "dashboard"
            ],
            "responses": {
             "200": {
              "description": "The file.",
              "content": {
               "text/javascript": {
                "schema": {
                 "type": "string"
                }
               }
              }
             },
             "404": {
              "description": "Not installed.",
              "content": {
               "application/json": {
                "schema": {
                 "$ref": "#/components/schemas/Error"
                }
               }
              }
             }
            }
           }
          },
          "/api/v1/openapi.json": {
           "get": {
            "summary": "This document",
            "operationId": "openapi",
            "tags": [
             "meta"
            ],
            "responses": {
             "200": {
              "description": "The OpenAPI 3.1 document.",
              "content": {
               "application/json": {
                "schema": {
                 "type": "object"
                }
               }
              }
             }
            }
           }
          },
          "/healthz": {
           "get": {
            "summary": "Liveness",
            "operationId": "health",
            "tags": [
             "meta"
            ],
            "responses": {
             "200": {
              "description": "`ok`",
              "content": {
               "text/plain": {
                "schema": {
                 "type": "string"
                }
               }
              }
             }
            }
           }
          },
          "/readyz": {
           "get": {
            "summary": "Readiness: the broker answers and every shard answers",
            "operationId": "readiness",
            "tags": [
             "meta"
            ],
            "responses": {
             "200": {
              "description": "`ready`",
              "content": {
               "text/plain": {
                "schema": {
                 "type": "string"
                }
               }
              }
             },
             "503": {
              "description": "One line per unmet condition, e.g. `kafka: no broker answered…` or `shard 1: …`.",
              "content": {
               "text/plain": {
                "schema": {
                 "type": "string"
                }
               }
              }
             }
            }
           }
          },
          "/metrics": {
           "get": {
            "summary": "The process's own metrics, Prometheus text format",
            "operationId": "prometheus",
            "tags": [
             "meta"
            ],
            "responses": {
             "200": {
              "description": "Prometheus exposition format 0.0.4.",
              "content": {
               "text/plain": {
                "schema": {
                 "type": "string"
                }
               }
              }
             }
            }
           }
          }
         },
         "components": {
          "securitySchemes": {
           "apiToken": {
            "type": "http",
            "scheme": "bearer",
            "description": "An `api_tokens` entry of the tenants file."
           },
           "apiTokenBasic": {
            "type": "http",
            "scheme": "basic",
            "description": "Any user name; the password is an `api_tokens` entry."
           },
           "graphiteToken": {
            "type": "http",
            "scheme": "bearer",
            "description": "A `graphite_tokens` entry of the tenants file."
           },
           "drainCredentials": {
            "type": "http",
            "scheme": "basic",
            "description": "A `drain_credentials` entry (user:password)."
           }
          },
          "headers": {
           "RetryAfter": {
            "description": "Seconds to wait before retrying.",
            "schema": {
             "type": "string"
            }
           }
          },
          "responses": {
           "Error": {
            "description": "A one-line message (plain text when the listener refuses the request itself).",
            "content": {
             "application/json": {
              "schema": {
               "$ref": "#/components/schemas/Error"
              }
             },
             "text/plain": {
              "schema": {
               "type": "string"
              }
             }
            }
           },
           "FanOut": {
            "description": "The targets expand to more series than allowed; the message names both.",
            "content": {
             "application/json": {
              "schema": {
               "$ref": "#/components/schemas/Error"
              }
             }
            }
           }
          },
          "schemas": {
           "Error": {
            "type": "object",
            "required": [
             "error"
            ],
            "properties": {
             "error": {
              "type": "object",
              "required": [
               "message"
              ],
              "properties": {
               "message": {
                "type": "string"
               }
              }
             }
            }
           },
           "RenderSeriesList": {
            "type": "array",
            "items": {
             "type": "object",
             "required": [
              "target",
              "tags",
              "datapoints"
             ],
             "properties": {
              "target": {
               "type": "string"
              },
              "tags": {
               "type": "object",
               "additionalProperties": {
                "type": "string"
               }
              },
              "datapoints": {
               "type": "array",
               "items": {
                "type": "array",
                "items": {
                 "type": [
                  "number",
                  "null"
                 ]
                },
                "minItems": 2,
                "maxItems": 2
               }
              }
             }
            }
           },
           "TreeNode": {
            "type": "object",
            "required": [
             "text",
             "id",
             "leaf",
             "expandable",
             "allowChildren"
            ],
            "properties": {
             "text": {
              "type": "string"
             },
             "id": {
              "type": "string"
             },
             "leaf": {
              "type": "integer",
              "enum": [
               0,
               1
              ]
             },
             "expandable": {
              "type": "integer",
              "enum": [
               0,
               1
              ]
             },
             "allowChildren": {
              "type": "integer",
              "enum": [
               0,
               1
              ]
             }
            }
           },
           "CompleterResult": {
            "type": "object",
            "required": [
             "metrics"
            ],
            "properties": {
             "metrics": {
              "type": "array",
              "items": {
               "type": "object",
               "required": [
                "name"
               ],
               "properties": {
                "path": {
                 "type": "string"
                },
                "name": {
                 "type": "string"
                },
                "is_leaf": {
                 "type": "string",
                 "enum": [
                  "0",
                  "1"
                 ]
                }
               }
              }
             }
            }
           },
           "Event": {
            "type": "object",
            "required": [
             "id",
             "when",
             "what",
             "data",
             "tags"
            ],
            "properties": {
             "id": {
              "type": "integer"
             },
             "when": {
              "type": "number",
              "description": "Unix seconds."
             },
             "what": {
              "type": "string"
             },
             "data": {
              "type": "string"
             },
             "tags": {
              "type": "array",
              "items": {
               "type": "string"
              }
             }
            }
           },
           "EventsResponse": {
            "type": "object",
            "required": [
             "owner",
             "from",
             "to",
             "events",
             "counts"
            ],
            "properties": {
             "owner": {
              "type": "string"
             },
             "from": {
              "type": "string"
             },
             "to": {
              "type": "string"
             },
             "events": {
              "type": "array",
              "items": {
               "type": "object",
               "required": [
                "time",
                "time_epoch_us",
                "kind",
                "process_type",
                "dyno",
                "text"
               ],
               "properties": {
                "time": {
                 "type": "string"
                },
                "time_epoch_us": {
                 "type": "integer"
                },
                "kind": {
                 "type": "string"
                },
                "process_type": {
                 "type": "string"
                },
                "dyno": {
                 "type": "string"
                },
                "text": {
                 "type": "string"
                }
               }
              }
             },
             "counts": {
              "type": "array",
              "items": {
               "type": "object",
               "required": [
                "window_start",
                "window_start_epoch",
                "process_type",
                "counts",
                "overflow"
               ],
               "properties": {
                "window_start": {
                 "type": "string"
                },
                "window_start_epoch": {
                 "type": "integer"
                },
                "process_type": {
                 "type": "string"
                },
                "counts": {
                 "type": "object",
                 "additionalProperties": {
                  "type": "integer",
                  "minimum": 0
                 }
                },
                "overflow": {
                 "type": "integer",
                 "minimum": 0
                }
               }
              }
             }
            }
           },
           "OwnersResponse": {
            "type": "object",
            "required": [
             "from",
             "to",
             "owners"
            ],
            "properties": {
             "from": {
              "type": "string"
             },
             "to": {
              "type": "string"
             },
             "owners": {
              "type": "array",
              "items": {
               "type": "object",
               "required": [
                "id",
                "name",
                "process_types"
               ],
               "properties": {
                "id": {
                 "type": "string"
                },
                "name": {
                 "type": "string"
                },
                "process_types": {
                 "type": "array",
                 "items": {
                  "type": "object",
                  "required": [
                   "name",
                   "newest_window_start",
                   "newest_window_start_epoch"
                  ],
                  "properties": {
                   "name": {
                    "type": "string"
                   },
                   "newest_window_start": {
                    "type": "string"
                   },
                   "newest_window_start_epoch": {
                    "type": "integer"
                   }
                  }
                 }
                }
               }
              }
             }
            }
           },
           "Statistics": {
            "type": "object",
            "required": [
             "count",
             "sum",
             "sum_of_squares"
            ],
            "properties": {
             "count": {
              "type": "integer",
              "minimum": 0
             },
             "sum": {
              "type": "number"
             },
             "sum_of_squares": {
              "type": "number"
             },
             "min": {
              "type": "number"
             },
             "max": {
              "type": "number"
             },
             "mean": {
              "type": "number"
             },
             "stddev": {
              "type": "number"
             },
             "p50": {
              "type": "number"
             },
             "p95": {
              "type": "number"
             },
             "p99": {
              "type": "number"
             }
            }
           },
           "SeriesResponse": {
            "type": "object",
            "required": [
             "owner",
             "type",
             "from",
             "to",
             "points"
            ],
            "properties": {
             "owner": {
              "type": "string"
             },
             "type": {
              "type": "string"
             },
             "from": {
              "type": "string",
              "format": "date-time"
             },
             "to": {
              "type": "string",
              "format": "date-time"
             },
             "resolution": {
              "type": "integer"
             },
             "points": {
              "type": "array",
              "items": {
               "type": "object",
               "required": [
                "process_type",
                "metric",
                "window_start",
                "window_start_epoch",
                "period_seconds",
                "fields",
                "counts"
               ],
               "properties": {
                "process_type": {
                 "type": "string"
                },
                "metric": {
                 "type": "string"
                },
                "window_start": {
                 "type": "string",
                 "format": "date-time"
                },
                "window_start_epoch": {
                 "type": "integer"
                },
                "period_seconds": {
                 "type": "integer"
                },
                "fields": {
                 "type": "object",
                 "additionalProperties": {
                  "$ref": "#/components/schemas/Statistics"
                 }
                },
                "counts": {
                 "type": "object",
                 "additionalProperties": {
                  "type": "integer",
                  "minimum": 0
                 }
                }
               }
              }
             }
            }
           }
          }
         }
        }
        """#
}
