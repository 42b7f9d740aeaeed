using Microsoft.Data.Sqlite;

namespace V2VConverter.Pipeline.Batch.Journal;

/// <summary>The reads: a VM's latest state from the <c>vms</c> table, the history from <c>entries</c>, the outputs.</summary>
public sealed partial class SqliteBatchJournal
{
    /// <summary>The most entries <see cref="History"/> returns at once, whatever the caller asks.</summary>
    public const int MaxHistory = 1_000_000;

    /// <inheritdoc/>
    public JournalVmStatus? Status(string vm)
    {
        ArgumentException.ThrowIfNullOrEmpty(vm);
        lock (_gate)
        {
            using var command = Command(JournalSchema.Status);
            command.Parameters.AddWithValue("$vm", vm);
            using var reader = command.ExecuteReader();
            return reader.Read() ? ReadStatus(reader) : null;
        }
    }

    /// <inheritdoc/>
    public IReadOnlyList<JournalVmStatus> Statuses()
    {
        lock (_gate)
        {
            using var command = Command(JournalSchema.Statuses);
            using var reader = command.ExecuteReader();
            var list = new List<JournalVmStatus>();
            while (reader.Read())
            {
                list.Add(ReadStatus(reader));
            }

            return list;
        }
    }

    /// <inheritdoc/>
    public IReadOnlyList<JournalEntry> History(string? vm = null, int limit = 10_000)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(limit);
        lock (_gate)
        {
            using var command = Command(vm is null ? JournalSchema.History : JournalSchema.VmHistory);
            command.Parameters.AddWithValue("$limit", Math.Min(limit, MaxHistory));
            if (vm is not null)
            {
                command.Parameters.AddWithValue("$vm", vm);
            }

            using var reader = command.ExecuteReader();
            var list = new List<JournalEntry>();
            while (reader.Read())
            {
                list.Add(new JournalEntry(
                    reader.GetInt64(0), Time(reader.GetInt64(1)), reader.GetString(2), reader.GetInt32(3), State(reader.GetString(4)),
                    NullableString(reader, 5), NullableInt(reader, 6), NullableLong(reader, 7)));
            }

            return list;
        }
    }

    /// <inheritdoc/>
    public IReadOnlyList<JournalOutput> Outputs(string vm)
    {
        ArgumentException.ThrowIfNullOrEmpty(vm);
        lock (_gate)
        {
            using var command = Command(JournalSchema.Outputs);
            command.Parameters.AddWithValue("$vm", vm);
            using var reader = command.ExecuteReader();
            var list = new List<JournalOutput>();
            while (reader.Read())
            {
                list.Add(new JournalOutput(reader.GetString(0), reader.GetString(1), reader.GetString(2), NullableLong(reader, 3), NullableString(reader, 4)));
            }

            return list;
        }
    }

    private JournalVmStatus ReadStatus(SqliteDataReader r) => new(
        r.GetString(0), r.GetInt32(1), State(r.GetString(2)), NullableString(r, 3), NullableInt(r, 4), NullableLong(r, 5),
        Time(r.GetInt64(6)), r.IsDBNull(7) ? null : Time(r.GetInt64(7)));

    private BatchVmState State(string name) =>
        Enum.TryParse<BatchVmState>(name, ignoreCase: false, out var state) && Enum.IsDefined(state) && !char.IsAsciiDigit(name[0])
            ? state
            : throw new InvalidDataException($"{Location}: state \"{name}\" is not a batch VM state");

    private DateTimeOffset Time(long unixMilliseconds) =>
        unixMilliseconds is >= 0 and <= 253_402_300_799_999 // up to 9999-12-31
            ? DateTimeOffset.FromUnixTimeMilliseconds(unixMilliseconds)
            : throw new InvalidDataException($"{Location}: time {unixMilliseconds} is out of range");

    private static string? NullableString(SqliteDataReader r, int i) => r.IsDBNull(i) ? null : r.GetString(i);

    private static int? NullableInt(SqliteDataReader r, int i) => r.IsDBNull(i) ? null : r.GetInt32(i);

    private static long? NullableLong(SqliteDataReader r, int i) => r.IsDBNull(i) ? null : r.GetInt64(i);
}
