using System.Formats.Asn1;
using System.Text;

namespace Certfleet.WebServers.Checks;

/// <summary>
/// Reads the friendly names (Java aliases) of a PKCS#12 file from its unencrypted SafeContents (RFC 7292 §4);
/// keytool and openssl keep the key bag there with its friendlyName, so no password is needed for this.
/// </summary>
internal static class Pkcs12Aliases
{
    private const string Data = "1.2.840.113549.1.7.1";
    private const string FriendlyName = "1.2.840.113549.1.9.20";

    /// <summary>The aliases found; null when the file is not PKCS#12 as expected.</summary>
    public static IReadOnlyList<string>? Read(byte[] pfx)
    {
        try
        {
            var names = new List<string>();
            var outer = new AsnReader(pfx, AsnEncodingRules.BER).ReadSequence();
            outer.ReadInteger();
            var authSafe = ReadData(outer.ReadSequence());
            if (authSafe is null)
            {
                return null;
            }

            var safes = new AsnReader(authSafe, AsnEncodingRules.BER).ReadSequence();
            while (safes.HasData)
            {
                var contents = ReadData(safes.ReadSequence());
                if (contents is null)
                {
                    continue; // encrypted with the password: the key bag is usually not in here
                }

                var bags = new AsnReader(contents, AsnEncodingRules.BER).ReadSequence();
                while (bags.HasData)
                {
                    var bag = bags.ReadSequence();
                    bag.ReadObjectIdentifier();
                    bag.ReadEncodedValue();
                    if (!bag.HasData)
                    {
                        continue;
                    }

                    var attributes = bag.ReadSetOf();
                    while (attributes.HasData)
                    {
                        var attribute = attributes.ReadSequence();
                        var id = attribute.ReadObjectIdentifier();
                        var values = attribute.ReadSetOf();
                        while (values.HasData)
                        {
                            if (id == FriendlyName)
                            {
                                names.Add(values.ReadCharacterString(UniversalTagNumber.BMPString));
                            }
                            else
                            {
                                values.ReadEncodedValue();
                            }
                        }
                    }
                }
            }

            return names;
        }
        catch (Exception e) when (e is AsnContentException or ArgumentException or DecoderFallbackException)
        {
            return null;
        }
    }

    private static byte[]? ReadData(AsnReader contentInfo)
    {
        if (contentInfo.ReadObjectIdentifier() != Data)
        {
            return null;
        }

        var explicitContent = contentInfo.ReadSequence(new Asn1Tag(TagClass.ContextSpecific, 0));
        return explicitContent.ReadOctetString();
    }
}
