using Microsoft.Data.Sqlite;

namespace V2VConverter.Pipeline.Batch.Journal;

/// <summary>The writes: each is one transaction, committed (and synced) before it returns.</summary>
public sealed partial class SqliteBatchJournal
{
    /// <inheritdoc/>
    public int BeginAttempt(string vm)
    {
        ArgumentException.ThrowIfNullOrEmpty(vm);
        lock (_gate)
        {
            using var transaction = BeginWrite();
            using var command = Command(JournalSchema.BeginAttempt, transaction);
            command.Parameters.AddWithValue("$vm", vm);
            command.Parameters.AddWithValue("$time", Now());
            var attempt = Convert.ToInt32(command.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture);
            transaction.Commit();
            return attempt;
        }
    }

    /// <inheritdoc/>
    public void Record(string vm, BatchVmState state, string? detail = null, int? disk = null, long? offset = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(vm);
        if (!Enum.IsDefined(state))
        {
            throw new ArgumentOutOfRangeException(nameof(state), state, "not a batch VM state");
        }

        lock (_gate)
        {
            // A point of a copy already under way is made durable against a crash of the process only; the next state
            // change syncs it with itself. Everything else is on disk when this returns.
            Synchronous(full: !(state == BatchVmState.Copying && offset > 0));
            using var transaction = BeginWrite();
            var command = _record ??= RecordCommand();
            command.Transaction = transaction;
            command.Parameters["$vm"].Value = vm;
            command.Parameters["$state"].Value = state.ToString();
            command.Parameters["$detail"].Value = (object?)detail ?? DBNull.Value;
            command.Parameters["$disk"].Value = (object?)disk ?? DBNull.Value;
            command.Parameters["$offset"].Value = (object?)offset ?? DBNull.Value;
            command.Parameters["$time"].Value = Now();
            command.ExecuteNonQuery();
            transaction.Commit();
        }
    }

    /// <inheritdoc/>
    public void SetOutputs(string vm, IReadOnlyList<JournalOutput> outputs)
    {
        ArgumentException.ThrowIfNullOrEmpty(vm);
        ArgumentNullException.ThrowIfNull(outputs);
        if (outputs.FirstOrDefault(o => o.Vm != vm) is { } other)
        {
            throw new ArgumentException($"output {other.Location} belongs to VM {other.Vm}, not {vm}", nameof(outputs));
        }

        lock (_gate)
        {
            using var transaction = BeginWrite();
            using (var delete = Command(JournalSchema.DeleteOutputs, transaction))
            {
                delete.Parameters.AddWithValue("$vm", vm);
                delete.ExecuteNonQuery();
            }

            using var insert = Command(JournalSchema.InsertOutput, transaction);
            var kind = insert.Parameters.Add("$kind", SqliteType.Text);
            var location = insert.Parameters.Add("$location", SqliteType.Text);
            var size = insert.Parameters.Add("$size", SqliteType.Integer);
            var digest = insert.Parameters.Add("$digest", SqliteType.Text);
            insert.Parameters.AddWithValue("$vm", vm);
            foreach (var output in outputs)
            {
                kind.Value = output.Kind;
                location.Value = output.Location;
                size.Value = (object?)output.Size ?? DBNull.Value;
                digest.Value = (object?)output.Digest ?? DBNull.Value;
                insert.ExecuteNonQuery();
            }

            transaction.Commit();
        }
    }

    /// <summary>FULL: the WAL is synced at each commit; NORMAL: a commit survives a killed process, not a power loss.</summary>
    private void Synchronous(bool full)
    {
        if (full != _fullSync)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            using var command = Command(full ? "PRAGMA synchronous = FULL" : "PRAGMA synchronous = NORMAL");
            command.ExecuteNonQuery();
            _fullSync = full;
        }
    }

    private SqliteTransaction BeginWrite()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_readOnly)
        {
            throw new InvalidOperationException($"{Location}: the journal was opened read-only");
        }

        return _connection.BeginTransaction();
    }

    /// <summary>The command of <see cref="Record"/>, prepared once: a run records often.</summary>
    private SqliteCommand RecordCommand()
    {
        var command = Command(JournalSchema.Record);
        command.Parameters.Add("$vm", SqliteType.Text);
        command.Parameters.Add("$state", SqliteType.Text);
        command.Parameters.Add("$detail", SqliteType.Text);
        command.Parameters.Add("$disk", SqliteType.Integer);
        command.Parameters.Add("$offset", SqliteType.Integer);
        command.Parameters.Add("$time", SqliteType.Integer);
        command.Prepare();
        return command;
    }

    private SqliteCommand Command(string sql, SqliteTransaction? transaction = null)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        var command = _connection.CreateCommand();
        command.CommandText = sql;
        command.Transaction = transaction;
        return command;
    }

    private long Now() => _clock.GetUtcNow().ToUnixTimeMilliseconds();
}
