using System.Net;

namespace Certfleet.Dns.Ovh.Tests;

public sealed class ErrorMappingTests
{
    private static readonly Uri Eu = new("https://eu.api.ovh.com/1.0");

    [Theory]
    [InlineData("""{"errorCode":"INVALID_SIGNATURE","httpCode":"400 Bad Request","message":"Invalid signature"}""", 400, "INVALID_SIGNATURE", "check that applicationSecret")]
    [InlineData("""{"class":"Client::BadRequest","message":"Invalid signature"}""", 400, "INVALID_SIGNATURE", "check that applicationSecret")]
    [InlineData("""{"errorCode":"INVALID_CREDENTIAL","httpCode":"403 Forbidden","message":"This credential is not valid"}""", 403, "INVALID_CREDENTIAL", "run `certfleet ovh credentials`")]
    [InlineData("""{"class":"Client::Forbidden","message":"This credential does not exist"}""", 403, "INVALID_CREDENTIAL", "run `certfleet ovh credentials`")]
    [InlineData("""{"errorCode":"NOT_GRANTED_CALL","httpCode":"403 Forbidden","message":"This call has not been granted"}""", 403, "NOT_GRANTED_CALL", "no access rule for DELETE /domain/zone/example.com/record/*")]
    [InlineData("""{"class":"Client::Forbidden","message":"This call has not been granted","details":{}}""", 403, "NOT_GRANTED_CALL", "no access rule for DELETE /domain/zone/example.com/record/*")]
    [InlineData("""{"errorCode":"INVALID_KEY","httpCode":"403 Forbidden","message":"This application key is invalid"}""", 403, "INVALID_KEY", "endpoint is the region")]
    [InlineData("""{"class":"Client::Forbidden","message":"This application key is invalid"}""", 403, "INVALID_KEY", "check applicationKey")]
    [InlineData("""{"errorCode":"QUERY_TIME_OUT","httpCode":"400 Bad Request","message":"Query out of time"}""", 400, "QUERY_TIME_OUT", "check the system clock")]
    [InlineData("""{"class":"Client::BadRequest","message":"Query out of time"}""", 400, "QUERY_TIME_OUT", "check the system clock")]
    [InlineData("""{"class":"Client::Forbidden","message":"You must login first"}""", 403, "NOT_CREDENTIAL", "set consumerKey")]
    public void Each_known_error_gets_a_one_line_message_with_the_fix(string body, int status, string code, string fix)
    {
        var error = OvhErrors.Parse(body);
        Assert.NotNull(error);
        Assert.Equal(code, error.Code);
        var message = OvhErrors.Describe(error, (HttpStatusCode)status, "DELETE", "/domain/zone/example.com/record/1553659745", Eu);
        Assert.StartsWith("ovh: ", message, StringComparison.Ordinal);
        Assert.Contains(fix, message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', message);
    }

    [Fact]
    public void A_missing_zone_names_the_zone_and_the_account()
    {
        var error = OvhErrors.Parse("""{"class":"Client::NotFound","message":"This service does not exist"}""");
        var message = OvhErrors.Describe(error, HttpStatusCode.NotFound, "POST", "/domain/zone/nothere.test/record", Eu);
        Assert.Equal("ovh: zone nothere.test is not in this OVH account on https://eu.api.ovh.com/1.0 (404 Client::NotFound: This service does not exist); check zone: and that the application and consumer key belong to the account hosting it", message);
    }

    [Theory]
    [InlineData("")]
    [InlineData("null")]
    [InlineData("<html>bad gateway</html>")]
    [InlineData("[1,2]")]
    public void Bodies_that_are_not_errors_parse_as_none(string body) => Assert.Null(OvhErrors.Parse(body));

    [Fact]
    public void Unknown_errors_keep_status_and_message()
    {
        var message = OvhErrors.Describe(OvhErrors.Parse("""{"class":"Server::InternalServerError","message":"Internal\nserver error"}"""), HttpStatusCode.InternalServerError, "GET", "/domain/zone", Eu);
        Assert.Equal("ovh: GET /domain/zone failed: 500 Server::InternalServerError: Internal server error", message);
    }

    [Theory]
    [InlineData("/domain/zone/example.com/record/42", "/domain/zone/example.com/record/*")]
    [InlineData("/domain/zone/example.com/record?fieldType=TXT", "/domain/zone/example.com/record")]
    [InlineData("/domain/zone/example.com/refresh", "/domain/zone/example.com/refresh")]
    public void Rule_patterns_generalise_record_ids(string path, string pattern) => Assert.Equal(pattern, OvhErrors.RulePattern(path));
}
