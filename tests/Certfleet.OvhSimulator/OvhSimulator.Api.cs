using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Certfleet.OvhSimulator;

public sealed partial class OvhSimulator
{
    private static readonly string[] PostAndGet = ["GET", "POST"];

    private void MapApi(WebApplication app)
    {
        var api = app.MapGroup("/1.0");
        api.MapGet("/auth/time", () => Results.Text(Now.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture), "application/json"));
        api.MapPost("/auth/credential", CreateCredentialAsync);
        api.MapGet("/auth/currentCredential", CurrentCredential);
        api.MapGet("/domain/zone", () => Json(Read(() => new JsonArray([.. _state.Zones.Keys.Order(StringComparer.Ordinal).Select(z => (JsonNode)z)]))));
        api.MapGet("/domain/zone/{zone}", (string zone) => WithZone(zone, z => Json(new JsonObject
        {
            ["name"] = z.Name,
            ["nameServers"] = new JsonArray([.. z.NameServers.Select(n => (JsonNode)n)]),
            ["dnssecSupported"] = false,
            ["hasDnsAnycast"] = false,
            ["lastUpdate"] = z.LastUpdate.ToString("O", CultureInfo.InvariantCulture),
        })));
        api.MapGet("/domain/zone/{zone}/record", (string zone, string? fieldType, string? subDomain) => WithZone(zone, z =>
        {
            var like = subDomain is null ? null : LikeToRegex(subDomain);
            var ids = z.Records.Values
                .Where(r => fieldType is null || string.Equals(r.FieldType, fieldType, StringComparison.OrdinalIgnoreCase))
                .Where(r => like is null || like.IsMatch(r.SubDomain))
                .OrderBy(r => r.Id)
                .Select(r => (JsonNode)r.Id);
            return Json(new JsonArray([.. ids]));
        }));
        api.MapPost("/domain/zone/{zone}/record", CreateRecordAsync);
        api.MapGet("/domain/zone/{zone}/record/{id}", (string zone, long id) => WithZone(zone, z =>
            z.Records.TryGetValue(id, out var r) ? Json(RecordJson(r)) : NotFound($"The requested object (id = {id}) does not exist")));
        api.MapDelete("/domain/zone/{zone}/record/{id}", (string zone, long id) => WithZone(zone, z =>
        {
            if (!z.Records.Remove(id))
            {
                return NotFound($"The requested object (id = {id}) does not exist");
            }

            return Results.Text("null", "application/json");
        }));
        api.MapPost("/domain/zone/{zone}/refresh", (string zone) =>
        {
            var known = Read(() => _state.Zones.ContainsKey(zone));
            if (!known)
            {
                return NotFound("This service does not exist");
            }

            ScheduleRefresh(zone);

            // OVH has answered refresh with an empty body since 2023.
            return Results.Text("", "application/json");
        });

        // The validation page of a consumer key (outside /1.0, as on OVH); GET or POST validates it.
        app.MapMethods("/auth/", PostAndGet, (string? credentialToken, long? expiration) =>
        {
            lock (_state.Gate)
            {
                var ck = _state.ConsumerKeys.Values.FirstOrDefault(c => c.CredentialToken == credentialToken);
                if (ck is null)
                {
                    return Results.Text("unknown credential token", statusCode: 404);
                }

                ck.State = "validated";
                ck.Expiration = expiration is > 0 ? _time.GetUtcNow().AddSeconds(expiration.Value) : null;
                return Results.Text($"credential {ck.CredentialId} validated");
            }
        });

        app.MapPost("/auth/oauth2/token", async (HttpRequest request) =>
        {
            var form = await request.ReadFormAsync().ConfigureAwait(false);
            lock (_state.Gate)
            {
                if (form["grant_type"] != "client_credentials"
                    || !_state.OAuthClients.TryGetValue(form["client_id"].ToString(), out var client)
                    || client.ClientSecret != form["client_secret"].ToString())
                {
                    return Results.Json(new JsonObject { ["error"] = "invalid_client" }, statusCode: 401);
                }

                var token = SimulatorState.RandomToken(40);
                _state.Tokens[token] = (client, _time.GetUtcNow().AddHours(1));
                return Json(new JsonObject { ["access_token"] = token, ["token_type"] = "Bearer", ["expires_in"] = 3600 });
            }
        });
    }

    private async Task<IResult> CreateCredentialAsync(HttpRequest request)
    {
        var node = await ReadJsonAsync(request).ConfigureAwait(false);
        var rules = new List<SimRule>();
        foreach (var r in node?["accessRules"] as JsonArray ?? [])
        {
            var method = r?["method"]?.GetValue<string>();
            var path = r?["path"]?.GetValue<string>();
            if (method is null || path is null)
            {
                return BadRequest("Invalid access rule");
            }

            rules.Add(new SimRule(method, path));
        }

        if (rules.Count == 0)
        {
            return BadRequest("Missing accessRules");
        }

        var appKey = request.Headers["X-Ovh-Application"].ToString();
        ConsumerKeyState ck;
        lock (_state.Gate)
        {
            ck = _state.AddConsumerKey(appKey, new SimConsumerKey(SimulatorState.RandomToken(32), "pendingValidation", rules), _time.GetUtcNow());
        }

        return Json(new JsonObject
        {
            ["validationUrl"] = new Uri(Root, "/auth/?credentialToken=" + ck.CredentialToken).AbsoluteUri,
            ["consumerKey"] = ck.ConsumerKey,
            ["state"] = ck.State,
        });
    }

    private IResult CurrentCredential(HttpContext context)
    {
        if (context.Items["sim.credential"] is not ConsumerKeyState ck)
        {
            return Results.Json(new JsonObject { ["class"] = "Client::Forbidden", ["message"] = "You must login first" }, statusCode: 403);
        }

        lock (_state.Gate)
        {
            return Json(new JsonObject
            {
                ["credentialId"] = ck.CredentialId,
                ["applicationId"] = 1,
                ["status"] = ck.State,
                ["creation"] = ck.Creation.ToString("O", CultureInfo.InvariantCulture),
                ["expiration"] = ck.Expiration?.ToString("O", CultureInfo.InvariantCulture),
                ["lastUse"] = _time.GetUtcNow().ToString("O", CultureInfo.InvariantCulture),
                ["ovhSupport"] = false,
                ["allowedIPs"] = null,
                ["rules"] = new JsonArray([.. ck.Rules.Select(r => (JsonNode)new JsonObject { ["method"] = r.Method, ["path"] = r.Path })]),
            });
        }
    }

    private async Task<IResult> CreateRecordAsync(string zone, HttpRequest request)
    {
        var node = await ReadJsonAsync(request).ConfigureAwait(false);
        var fieldType = node?["fieldType"]?.GetValue<string>();
        var target = node?["target"]?.GetValue<string>();
        var sub = node?["subDomain"]?.GetValue<string>() ?? "";
        var ttl = node?["ttl"]?.GetValue<int>() ?? 0;
        if (fieldType is null || target is null)
        {
            return BadRequest("Missing parameter(s): " + (fieldType is null ? "fieldType" : "target"));
        }

        return WithZone(zone, z =>
        {
            var record = new SimRecord(_state.NextId(), z.Name, sub.ToLowerInvariant(), fieldType.ToUpperInvariant(), target, ttl <= 0 ? 3600 : ttl);
            z.Records[record.Id] = record;
            return Json(RecordJson(record));
        });
    }

    private void MapAdmin(WebApplication app)
    {
        var sim = app.MapGroup("/_sim");
        sim.MapGet("/faults", () => Json(FaultsJson()));
        sim.MapPost("/faults", async (HttpRequest request) =>
        {
            var node = await ReadJsonAsync(request).ConfigureAwait(false);
            lock (_state.Gate)
            {
                if (node?["failureRate"] is { } f)
                {
                    _state.FailureRate = f.GetValue<double>();
                }

                if (node?["clockSkewSeconds"] is { } c)
                {
                    _state.ClockSkew = TimeSpan.FromSeconds(c.GetValue<double>());
                }

                if (node?["publicationDelayMs"] is { } d)
                {
                    _state.PublicationDelay = TimeSpan.FromMilliseconds(d.GetValue<double>());
                }

                if (node?["timeWindowSeconds"] is { } w)
                {
                    _state.TimeWindow = TimeSpan.FromSeconds(w.GetValue<double>());
                }

                if (node?["authErrorShape"] is { } s)
                {
                    _state.AuthErrorShape = Enum.Parse<SimErrorShape>(s.GetValue<string>(), ignoreCase: true);
                }
            }

            return Json(FaultsJson());
        });
        sim.MapGet("/records", (string zone) => Json(new JsonArray([.. GetRecords(zone).Select(r => (JsonNode)RecordJson(r))])));
        sim.MapPost("/records", async (string zone, HttpRequest request) =>
        {
            var seed = JsonSerializer.Deserialize<SimRecordSeed>(await new StreamReader(request.Body).ReadToEndAsync().ConfigureAwait(false), SimulatorOptions.Json);
            return seed is null ? BadRequest("record expected") : Json(RecordJson(AddRecord(zone, seed)));
        });
        sim.MapGet("/published", (string zone) => Json(new JsonArray([.. GetPublishedRecords(zone).Select(r => (JsonNode)RecordJson(r))])));
        sim.MapGet("/stats", () => Json(Read(() => new JsonObject
        {
            ["calls"] = _state.Calls,
            ["injectedFailures"] = _state.InjectedFailures,
            ["pendingPublications"] = _state.PendingPublications,
        })));
        sim.MapGet("/credentials", () => Json(Read(() => new JsonArray([.. _state.ConsumerKeys.Values.Select(c => (JsonNode)new JsonObject
        {
            ["credentialId"] = c.CredentialId,
            ["applicationKey"] = c.ApplicationKey,
            ["state"] = c.State,
            ["expiration"] = c.Expiration?.ToString("O", CultureInfo.InvariantCulture),
            ["validationUrl"] = new Uri(Root, "/auth/?credentialToken=" + c.CredentialToken).AbsoluteUri,
            ["rules"] = new JsonArray([.. c.Rules.Select(r => (JsonNode)$"{r.Method} {r.Path}")]),
        })]))));
        sim.MapPost("/credentials", async (HttpRequest request) =>
        {
            var node = await ReadJsonAsync(request).ConfigureAwait(false);
            var appKey = node?["applicationKey"]?.GetValue<string>();
            var ck = node?["consumerKey"]?.Deserialize<SimConsumerKey>(SimulatorOptions.Json);
            if (appKey is null || ck is null)
            {
                return BadRequest("applicationKey and consumerKey expected");
            }

            AddConsumerKey(appKey, ck);
            return Results.Text("null", "application/json");
        });
    }

    private JsonObject FaultsJson() => Read(() => new JsonObject
    {
        ["failureRate"] = _state.FailureRate,
        ["clockSkewSeconds"] = _state.ClockSkew.TotalSeconds,
        ["publicationDelayMs"] = _state.PublicationDelay.TotalMilliseconds,
        ["timeWindowSeconds"] = _state.TimeWindow.TotalSeconds,
        ["authErrorShape"] = _state.AuthErrorShape.ToString(),
    });

    // ---- publication into BIND -----------------------------------------------------------------

    private void ScheduleRefresh(string zone)
    {
        List<SimRecord> snapshot;
        long sequence;
        TimeSpan delay;
        lock (_state.Gate)
        {
            var z = _state.Zones[zone];
            z.LastUpdate = _time.GetUtcNow();
            snapshot = Snapshot(zone);
            var seq = _sequence.TryGetValue(z.Name, out var s) ? s : (0, 0);
            sequence = seq.Requested + 1;
            _sequence[z.Name] = (sequence, seq.Applied);
            delay = _state.PublicationDelay;
            _state.PendingPublications++;
        }

        var task = Task.Run(async () =>
        {
            try
            {
                if (delay > TimeSpan.Zero)
                {
                    await Task.Delay(delay, _time, _stopping.Token).ConfigureAwait(false);
                }

                await ApplyAsync(zone, snapshot, sequence, _stopping.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                // Stopped before the delay ran out.
            }
#pragma warning disable CA1031 // a failed publication is logged; the API keeps serving
            catch (Exception e)
#pragma warning restore CA1031
            {
                PublicationFailed(_logger, e, zone);
            }
            finally
            {
                Write(() => _state.PendingPublications--);
            }
        });
        lock (_publications)
        {
            _publications.RemoveAll(t => t.IsCompleted);
            _publications.Add(task);
        }
    }

    private List<SimRecord> Snapshot(string zone)
    {
        lock (_state.Gate)
        {
            return [.. _state.Zones[zone].Records.Values.OrderBy(r => r.Id)];
        }
    }

    private async Task ApplyAsync(string zone, List<SimRecord> snapshot, long sequence, CancellationToken cancellationToken)
    {
        await _publishGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            List<SimRecord> published;
            string name;
            lock (_state.Gate)
            {
                var z = _state.Zones[zone];
                name = z.Name;
                var seq = _sequence.TryGetValue(name, out var s) ? s : (0, 0);
                if (sequence != long.MaxValue && sequence <= seq.Applied)
                {
                    return; // a later refresh already went out
                }

                published = z.Published;
            }

            static string KeyOf(SimRecord r) => $"{r.SubDomain}|{r.FieldType}|{BindPublisher.Rdata(r)}";
            var before = published.ToDictionary(KeyOf, StringComparer.OrdinalIgnoreCase);
            var after = new Dictionary<string, SimRecord>(StringComparer.OrdinalIgnoreCase);
            foreach (var r in snapshot)
            {
                after.TryAdd(KeyOf(r), r);
            }

            var removed = before.Where(kv => !after.ContainsKey(kv.Key)).Select(kv => kv.Value).ToList();
            var added = after.Where(kv => !before.ContainsKey(kv.Key)).Select(kv => kv.Value).ToList();
            if (_publisher is not null)
            {
                await _publisher.PublishAsync(name, removed, added, cancellationToken).ConfigureAwait(false);
            }

            lock (_state.Gate)
            {
                _state.Zones[zone].Published = snapshot;
                var seq = _sequence.TryGetValue(name, out var s) ? s : (0, 0);
                _sequence[name] = (Math.Max(seq.Requested, sequence == long.MaxValue ? 0 : sequence), sequence == long.MaxValue ? seq.Applied : sequence);
            }
        }
        finally
        {
            _publishGate.Release();
        }
    }

    // ---- helpers -------------------------------------------------------------------------------

    private IResult WithZone(string zone, Func<ZoneState, IResult> action)
    {
        lock (_state.Gate)
        {
            return _state.Zones.TryGetValue(zone, out var z) ? action(z) : NotFound("This service does not exist");
        }
    }

    private static JsonObject RecordJson(SimRecord r) => new()
    {
        ["id"] = r.Id,
        ["zone"] = r.Zone,
        ["subDomain"] = r.SubDomain,
        ["fieldType"] = r.FieldType,
        ["target"] = r.Target,
        ["ttl"] = r.Ttl,
    };

    /// <summary>SQL LIKE, as OVH's subDomain filter: '_' is any one character, '%' any run.</summary>
    internal static Regex LikeToRegex(string like)
    {
        var pattern = string.Concat(like.Select(c => c switch
        {
            '_' => ".",
            '%' => ".*",
            _ => Regex.Escape(c.ToString()),
        }));
        return new Regex("^" + pattern + "$", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1));
    }

    private static async Task<JsonNode?> ReadJsonAsync(HttpRequest request)
    {
        using var reader = new StreamReader(request.Body);
        var text = await reader.ReadToEndAsync().ConfigureAwait(false);
        try
        {
            return text.Length == 0 ? null : JsonNode.Parse(text);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static IResult Json(JsonNode node) => Results.Text(node.ToJsonString(), "application/json; charset=utf-8");

    private static IResult NotFound(string message) =>
        Results.Text(ClassBody("Client::NotFound", message).ToJsonString(), "application/json; charset=utf-8", statusCode: 404);

    private static IResult BadRequest(string message) =>
        Results.Text(ClassBody("Client::BadRequest", message).ToJsonString(), "application/json; charset=utf-8", statusCode: 400);
}
