using System.Reflection;
using System.Reflection.Emit;
using System.Runtime.CompilerServices;

namespace Serverless.Tests.Settings;

/// <summary>
/// The messages an options class's own validation can report, read from the string literals of its <c>Validate</c>
/// method (and what that calls in our assemblies), so the reference lists them without running every failure.
/// Interpolated holes show as <c>…</c>.
/// </summary>
/// <remarks>
/// Reads IL by hand: the BCL has the opcode table (<see cref="OpCodes"/>) but no instruction reader, and a decompiler
/// package would be a large dependency for one loop over method bodies.
/// </remarks>
internal static class ValidationMessages
{
    private const string Hole = "…";

    private static readonly Dictionary<short, OpCode> Codes = typeof(OpCodes).GetFields(BindingFlags.Public | BindingFlags.Static)
        .Select(f => (OpCode)f.GetValue(null)!).ToDictionary(c => c.Value);

    public static IReadOnlyList<string> Of(Type options)
    {
        var messages = new List<string>();
        var validate = options.GetMethod("Validate", BindingFlags.Public | BindingFlags.Instance, [typeof(System.ComponentModel.DataAnnotations.ValidationContext)]);
        if (validate is not null)
        {
            Collect(validate, messages, new HashSet<MethodBase>(), depth: 0);
        }

        return [.. messages.Distinct(StringComparer.Ordinal)];
    }

    private static void Collect(MethodBase method, List<string> messages, HashSet<MethodBase> seen, int depth)
    {
        if (!seen.Add(method) || depth > 3)
        {
            return;
        }

        // An iterator's body lives in its compiler-generated state machine.
        if (method.GetCustomAttribute<StateMachineAttribute>() is { } machine && machine.StateMachineType.GetMethod("MoveNext", BindingFlags.NonPublic | BindingFlags.Instance) is { } moveNext)
        {
            Collect(moveNext, messages, seen, depth + 1);
        }

        var il = method.GetMethodBody()?.GetILAsByteArray();
        if (il is null)
        {
            return;
        }

        var module = method.Module;
        // Literals since the last call: an interpolated string is literal pieces joined by string.Concat (holes between
        // them) or by DefaultInterpolatedStringHandler's Append calls; any other call ends them as separate strings.
        var pieces = new List<string>();
        void Emit(string text)
        {
            // nameof(...) and keys are single words; messages have spaces.
            if (text.Trim().Contains(' ', StringComparison.Ordinal) && text.Count(char.IsLetter) >= 8)
            {
                messages.Add(text);
            }
        }

        for (var i = 0; i < il.Length;)
        {
            var code = il[i] == 0xFE ? Codes[(short)(0xFE00 | il[i + 1])] : Codes[il[i]];
            i += code.Size;
            var token = code.OperandType is OperandType.InlineString or OperandType.InlineMethod ? BitConverter.ToInt32(il, i) : 0;
            i += OperandSize(code, il, i);
            if (code == OpCodes.Ldstr)
            {
                pieces.Add(module.ResolveString(token));
            }
            else if (code.OperandType == OperandType.InlineMethod && Resolve(module, token, method) is { } callee)
            {
                switch (callee.Name)
                {
                    case "AppendLiteral":
                        break;
                    case "AppendFormatted":
                        pieces.Add(Hole);
                        break;
                    case "ToStringAndClear":
                        Emit(string.Concat(pieces));
                        pieces.Clear();
                        break;
                    case "Concat" when callee.DeclaringType == typeof(string):
                        Emit(string.Join(Hole, pieces));
                        pieces.Clear();
                        break;
                    // A call that takes no string (a getter inside an interpolation hole) leaves the pieces be.
                    case var _ when !callee.GetParameters().Any(p => p.ParameterType == typeof(string)) && callee.Name != "MoveNext":
                        if (callee.DeclaringType?.Assembly == method.Module.Assembly)
                        {
                            Collect(callee, messages, seen, depth + 1);
                        }

                        break;
                    default:
                        pieces.ForEach(Emit);
                        pieces.Clear();
                        if (callee.DeclaringType?.Assembly == method.Module.Assembly && callee.Name != "MoveNext")
                        {
                            Collect(callee, messages, seen, depth + 1);
                        }

                        break;
                }
            }
        }

        pieces.ForEach(Emit);
    }

    private static MethodBase? Resolve(Module module, int token, MethodBase context)
    {
        try
        {
            var typeArgs = context.DeclaringType?.IsGenericType == true ? context.DeclaringType.GetGenericArguments() : null;
            return module.ResolveMethod(token, typeArgs, context.IsGenericMethod ? context.GetGenericArguments() : null);
        }
        catch (ArgumentException)
        {
            return null;
        }
    }

    private static int OperandSize(OpCode code, byte[] il, int at) => code.OperandType switch
    {
        OperandType.InlineNone => 0,
        OperandType.ShortInlineBrTarget or OperandType.ShortInlineI or OperandType.ShortInlineVar => 1,
        OperandType.InlineVar => 2,
        OperandType.InlineI8 or OperandType.InlineR => 8,
        OperandType.InlineSwitch => 4 + (4 * BitConverter.ToInt32(il, at)),
        _ => 4,
    };
}
