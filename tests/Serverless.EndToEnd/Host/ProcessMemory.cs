namespace Serverless.EndToEnd.Host;

/// <summary>Resident memory of a process and of its children, read from /proc (Linux only; 0 elsewhere).</summary>
public static class ProcessMemory
{
    public static double ResidentMiB(int pid)
    {
        var status = $"/proc/{pid}/status";
        if (!File.Exists(status))
        {
            return 0;
        }

        var line = File.ReadLines(status).FirstOrDefault(l => l.StartsWith("VmRSS:", StringComparison.Ordinal));
        return line is null ? 0 : long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], System.Globalization.CultureInfo.InvariantCulture) / 1024.0;
    }

    public static double ChildrenResidentMiB(int pid)
    {
        var children = $"/proc/{pid}/task/{pid}/children";
        return File.Exists(children)
            ? File.ReadAllText(children).Split(' ', StringSplitOptions.RemoveEmptyEntries).Sum(c => ResidentMiB(int.Parse(c, System.Globalization.CultureInfo.InvariantCulture)))
            : 0;
    }
}
