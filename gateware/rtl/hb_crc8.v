// hb_crc8 -- one byte step of CRC-8/SMBUS (poly 0x07, init 0x00, no reflection, no final
// XOR), combinational. Check value of "123456789" is 0xF4.
`default_nettype none
module hb_crc8 (
    input  wire [7:0] crc_in,
    input  wire [7:0] data,
    output wire [7:0] crc_out
);
    function [7:0] step8(input [7:0] c, input [7:0] d);
        integer k;
        reg [7:0] r;
        begin
            r = c ^ d;
            for (k = 0; k < 8; k = k + 1)
                r = r[7] ? ((r << 1) ^ 8'h07) : (r << 1);
            step8 = r;
        end
    endfunction
    assign crc_out = step8(crc_in, data);
endmodule
`default_nettype wire
